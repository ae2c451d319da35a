"""Outgoing mail: what a mail is, how it is written from templates, and how it is sent.

A task that mails someone builds a `Mail` with `mail_templates.compose` (its plain-text and
HTML parts come from Jinja2 templates in the package, every value escaped in the HTML) and
hands it to the worker's `Mailer` (`core/jobs.py`: `mailer(context)`). The worker's one,
`SmtpMailer`, talks SMTP to the server the settings name. Its failures say whether a retry
can help: `TransientMailError` (the server is down, or answers 4xx) is retried with the
task's backoff; `PermanentMailError` (5xx: no such mailbox, refused) fails the job at once.

Requests never send mail themselves: they defer a task, in their transaction, so a request
that rolls back sends nothing and no request waits on a mail server.
"""

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.jobs import PermanentJobError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None:
        """Deliver `mail`, or raise a `MailError` saying whether a retry can help."""


class MailError(Exception):
    """A mail that was not sent."""


class TransientMailError(MailError):
    """The server is unreachable or answered 4xx: the same mail may go through later."""


class PermanentMailError(MailError, PermanentJobError):
    """The server refused the mail for good (5xx), or no server is configured."""


class MailTemplates:
    """Mails written from Jinja2 templates under `root`, found by their path there
    ("tasks/mail/task_assigned"), so each domain keeps its mails beside its code. Every
    value is escaped in the HTML part; the plain-text part is text, so it needs no escaping."""

    def __init__(self, root: Path) -> None:
        self._environment = Environment(
            loader=FileSystemLoader(root),
            autoescape=select_autoescape(enabled_extensions=("html.jinja",), default=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def compose(
        self, template: str, *, to: str, subject: str, settings: Settings, **values: object
    ) -> Mail:
        """A mail from `<template>.txt.jinja` and `<template>.html.jinja`, which get `values`,
        `subject` and the settings' `frontend_url`; the subject gets the settings' prefix.
        Keep what users typed out of `subject`: a header is no place for their text."""
        context = {"frontend_url": settings.FRONTEND_URL, "subject": subject, **values}
        return Mail(
            to=to,
            subject=f"{settings.MAIL_SUBJECT_PREFIX}{subject}",
            text=self._environment.get_template(f"{template}.txt.jinja").render(context),
            html=self._environment.get_template(f"{template}.html.jinja").render(context),
        )


# The package's own templates: a domain's mails and the layout they share (core/templates/).
mail_templates = MailTemplates(Path(__file__).resolve().parent.parent)


def recipient_domain(address: str) -> str:
    """What a log line may say about a recipient: their domain, never the whole address."""
    _, at, domain = parseaddr(address)[1].rpartition("@")
    return domain if at and domain else "unknown"


class SmtpMailer:
    """Sends each mail over a new SMTP connection to the server the settings name."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def send(self, mail: Mail) -> None:
        settings = self._settings
        if settings.SMTP_HOST is None:
            raise PermanentMailError(
                "SMTP_HOST is not set, so no mail can be sent (`make dev` runs a local catcher)"
            )
        message = self._message(mail)
        password = settings.SMTP_PASSWORD
        domain = recipient_domain(mail.to)
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.SMTP_HOST,
                port=settings.smtp_port,
                username=settings.SMTP_USERNAME,
                password=password.get_secret_value() if password is not None else None,
                use_tls=settings.SMTP_SECURITY == "tls",
                start_tls=settings.SMTP_SECURITY == "starttls",
                timeout=settings.SMTP_TIMEOUT_SECONDS,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            refusal = error.recipients[0]
            raise _by_code(refusal.code, refusal.message, domain) from None
        except aiosmtplib.SMTPResponseException as error:
            raise _by_code(error.code, error.message, domain) from None
        except (aiosmtplib.SMTPException, OSError) as error:
            # Connection refused or lost, a timeout, a failed TLS handshake: try again later.
            raise TransientMailError(
                f"could not reach the mail server {settings.SMTP_HOST}:{settings.smtp_port} "
                f"({type(error).__name__}); a mail to a recipient at {domain} will be retried"
            ) from None
        logger.info("Mail sent", extra={"recipient_domain": domain})

    def _message(self, mail: Mail) -> EmailMessage:
        sender = self._settings.mail_from
        message = EmailMessage()
        message["From"] = sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=recipient_domain(sender))
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        return message


def _by_code(code: int, reply: str, domain: str) -> MailError:
    # The server's reply may quote the address: keep only its first line's code and text,
    # with every @-word reduced to its domain.
    text = " ".join(
        f"…@{word.rpartition('@')[2]}" if "@" in word else word for word in reply.split()
    )
    if 400 <= code < 500:  # noqa: PLR2004 - SMTP reply classes (RFC 5321, section 4.2.1)
        return TransientMailError(
            f"the mail server deferred a mail to a recipient at {domain} ({code} {text}); "
            "it will be retried"
        )
    logger.error(
        "Mail refused for good",
        extra={"recipient_domain": domain, "smtp_code": code, "smtp_reply": text},
    )
    return PermanentMailError(
        f"the mail server refused a mail to a recipient at {domain} ({code} {text})"
    )
