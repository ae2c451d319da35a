from http import HTTPStatus

from {{ cookiecutter.package_name }}.core.errors import AppError, ConflictError


class IdempotencyKeyReusedError(AppError):
    """The `Idempotency-Key` was already used by this caller with a different request."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "idempotency_key_reused"
    title = "Idempotency key reused"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used with a different request; use a new key"
        )


class IdempotencyKeyReleasedError(ConflictError):
    """The request that held the key failed (or the key expired) while this one waited for it;
    sending the request again runs it afresh."""

    code = "idempotency_key_released"
    title = "Idempotency key released"

    def __init__(self) -> None:
        super().__init__("The Idempotency-Key was released meanwhile; send it again")
