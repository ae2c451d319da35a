from http import HTTPStatus

from {{ cookiecutter.package_name }}.core.errors import AppError


class IdempotencyKeyReusedError(AppError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used with a different request; use a new key"
        )
