"""What an operator's job command can refuse. These never reach the HTTP API (no route runs a
job command), so they are plain exceptions, not `AppError`s with a status and a problem type."""


class JobCommandError(Exception):
    """A job command that cannot be carried out; the message says why, for the operator."""


class JobNotFoundError(JobCommandError):
    def __init__(self, job_id: int) -> None:
        super().__init__(f"There is no job {job_id}")


class JobNotFailedError(JobCommandError):
    def __init__(self, job_id: int, status: str) -> None:
        super().__init__(f"Job {job_id} is {status}; only a failed job can be retried")
