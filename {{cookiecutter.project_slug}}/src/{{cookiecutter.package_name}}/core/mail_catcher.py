"""A local SMTP server that catches every mail instead of delivering it: `make dev` runs one
and prints what arrives, and the tests run one to read what the worker sent.

It speaks real SMTP on 127.0.0.1 (aiosmtpd, a development dependency), so the code under
test or in development sends exactly as it will in production; only the far end differs.
"""

import asyncio
import contextlib
import email.policy
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.smtp import SMTP, Envelope, Session

# A link ends before whitespace or a quote, and never on the sentence's punctuation.
_LINK = re.compile(r"https?://[^\s<>\"']*[^\s<>\"'.,;:!?)]")


class CaughtMail:
    """One received mail, parsed."""

    def __init__(self, envelope: Envelope) -> None:
        self.recipients = list(envelope.rcpt_tos)
        parsed = BytesParser(policy=email.policy.default).parsebytes(
            envelope.original_content or b""
        )
        if not isinstance(parsed, EmailMessage):  # pragma: no cover - the default policy's
            raise TypeError("the mail did not parse as an EmailMessage")
        self.message = parsed

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        """The body of the `text/<subtype>` part ("plain" or "html"), with the wire's CRLF line
        ends read back as newlines."""
        body = self.message.get_body(preferencelist=(subtype,))
        if body is None or body.get_content_subtype() != subtype:
            raise LookupError(f"the mail has no text/{subtype} part")
        return str(body.get_content()).replace("\r\n", "\n")

    @property
    def links(self) -> list[str]:
        """Every link in the plain-text part, in order."""
        return _LINK.findall(self.part("plain"))


class MailCatcher:
    """Keeps every mail it receives in `caught`, and hands each to `on_mail` if given."""

    def __init__(self, on_mail: Callable[[CaughtMail], None] | None = None) -> None:
        self.caught: list[CaughtMail] = []
        self._on_mail = on_mail
        self._server: asyncio.Server | None = None
        self.port = 0

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        mail = CaughtMail(envelope)
        self.caught.append(mail)
        if self._on_mail is not None:
            self._on_mail(mail)
        return "250 Message accepted for delivery"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on `host`:`port` (0: any free port) in the running loop; returns the port."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="mail-catcher", ident="mail catcher"), host, port
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


def print_mail(mail: CaughtMail) -> None:
    """What `make dev` shows of a caught mail: to whom, about what, and its links."""
    lines = [f"Mail to {', '.join(mail.recipients)}: {mail.subject}"]
    lines += [f"  {link}" for link in mail.links]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


@contextlib.contextmanager
def catching_in_background(port: int) -> Iterator[int]:
    """A catcher that prints each mail, on its own thread and loop, for as long as the block
    runs (the caller's own thread may be busy, as uvicorn's is); yields the bound port."""
    # aiosmtpd logs every line of every SMTP conversation at INFO: the console is for the mail.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    loop = asyncio.new_event_loop()
    catcher = MailCatcher(on_mail=print_mail)
    thread = threading.Thread(target=loop.run_forever, name="mail catcher", daemon=True)
    thread.start()
    try:
        yield asyncio.run_coroutine_threadsafe(catcher.start(port=port), loop).result(timeout=5)
    finally:
        asyncio.run_coroutine_threadsafe(catcher.close(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()
