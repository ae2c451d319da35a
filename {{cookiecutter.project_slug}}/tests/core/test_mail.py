"""Mail: templates that escape what users typed, and the SMTP path, each failure classified
by whether a retry can help. Every test talks SMTP to a real server on 127.0.0.1."""

import asyncio
import logging
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from {{ cookiecutter.package_name }}.core.jobs import PermanentJobError
from {{ cookiecutter.package_name }}.core.mail import (
    Mail,
    MailTemplates,
    PermanentMailError,
    SmtpMailer,
    TransientMailError,
    recipient_domain,
)
from {{ cookiecutter.package_name }}.core.mail_catcher import (
    MailCatcher,
    catching_in_background,
)

from tests.support import catching_mailer, free_port, mail_settings

MAIL = Mail(to="ann@example.org", subject="Hello", text="Plain text\n", html="<p>HTML</p>\n")


class RefusingCatcher(MailCatcher):
    """A server that answers every recipient with `reply` (e.g. "550 no such user")."""

    def __init__(self, reply: str) -> None:
        super().__init__()
        self.reply = reply

    async def handle_RCPT(  # noqa: N802 - the name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: object
    ) -> str:
        return self.reply


@pytest.fixture
def templates(tmp_path: Path) -> MailTemplates:
    (tmp_path / "note.txt.jinja").write_text("Hello {{ '{{' }} name {{ '}}' }}\n")
    (tmp_path / "note.html.jinja").write_text(
        '<p>Hello {{ '{{' }} name {{ '}}' }}</p><a href="{{ '{{' }} frontend_url {{ '}}' }}/x">x</a>\n'
    )
    return MailTemplates(tmp_path)


def test_what_a_user_typed_arrives_as_text_in_the_html_part(templates: MailTemplates) -> None:
    name = '<a href="https://evil.example">Ann</a> & "co"'
    mail = templates.compose(
        "note", to="ann@example.org", subject="Hi", settings=mail_settings(25), name=name
    )
    assert mail.html == (
        "<p>Hello &lt;a href=&#34;https://evil.example&#34;&gt;Ann&lt;/a&gt; &amp; &#34;co&#34;"
        '</p><a href="http://localhost:3000/x">x</a>\n'
    )
    assert mail.text == f"Hello {name}\n"
    assert mail.subject == "[{{ cookiecutter.project_name }}] Hi"


def test_a_value_the_template_needs_but_was_not_given_is_an_error(
    templates: MailTemplates,
) -> None:
    with pytest.raises(Exception, match="'name' is undefined"):
        templates.compose("note", to="ann@example.org", subject="Hi", settings=mail_settings(25))


def test_the_package_templates_share_one_layout() -> None:
    # Every HTML mail extends the layout; a template the loader cannot find is a clear error.
    from {{ cookiecutter.package_name }}.core.mail import mail_templates  # noqa: PLC0415

    with pytest.raises(Exception, match="no/such/mail"):
        mail_templates.compose("no/such/mail", to="a@b.c", subject="x", settings=mail_settings(25))


async def test_a_mail_arrives_with_both_parts_and_its_headers(mail_catcher: MailCatcher) -> None:
    await catching_mailer(mail_catcher).send(MAIL)
    [caught] = mail_catcher.caught
    assert caught.recipients == ["ann@example.org"]
    assert caught.subject == "Hello"
    assert str(caught.message["From"]) == "Keel Tests <no-reply@tests.example>"
    assert str(caught.message["Message-ID"]).endswith("@tests.example>")
    assert caught.message["Date"] is not None
    assert caught.part("plain") == "Plain text\n"
    assert caught.part("html") == "<p>HTML</p>\n"


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("451 4.3.0 mailbox busy, try later", TransientMailError),
        ("550 5.1.1 <ann@example.org>: no such user", PermanentMailError),
    ],
)
async def test_the_servers_refusal_says_whether_a_retry_can_help(
    reply: str, error: type[Exception], caplog: pytest.LogCaptureFixture
) -> None:
    catcher = RefusingCatcher(reply)
    await catcher.start()
    try:
        with caplog.at_level(logging.INFO), pytest.raises(error) as raised:
            await catching_mailer(catcher).send(MAIL)
    finally:
        await catcher.close()
    assert catcher.caught == []
    assert isinstance(raised.value, PermanentJobError) is (error is PermanentMailError)
    # Our log and the error name the recipient's domain, never the address (the test server's
    # own log, "mail.log", is not ours).
    ours = [record for record in caplog.records if record.name != "mail.log"]
    logged = " ".join(f"{record.getMessage()} {record.__dict__}" for record in ours)
    assert "ann@" not in f"{raised.value} {logged}"
    assert "a recipient at example.org" in str(raised.value)
    if error is PermanentMailError:
        [refused] = [r for r in ours if r.getMessage() == "Mail refused for good"]
        assert refused.__dict__["recipient_domain"] == "example.org"
        assert refused.__dict__["smtp_code"] == 550


async def test_a_server_that_is_down_is_worth_another_try() -> None:
    port = free_port()
    with pytest.raises(TransientMailError, match=f"127.0.0.1:{port}"):
        await SmtpMailer(mail_settings(port)).send(MAIL)


async def test_a_server_that_never_answers_is_given_up_on_after_the_timeout() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # accept, then never greet

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(TransientMailError, match="Timeout"):
            await SmtpMailer(mail_settings(port, SMTP_TIMEOUT_SECONDS=0.2)).send(MAIL)
    finally:
        server.close()
        for writer in accepted:
            writer.close()
            await writer.wait_closed()
        await server.wait_closed()


async def test_without_a_server_configured_nothing_is_sent_and_nothing_is_retried() -> None:
    with pytest.raises(PermanentMailError, match="SMTP_HOST is not set"):
        await SmtpMailer(mail_settings(25, SMTP_HOST=None)).send(MAIL)


@pytest.mark.parametrize(
    ("address", "domain"),
    [
        ("ann@example.org", "example.org"),
        ("Ann <ann@Mail.Example>", "Mail.Example"),
        ("nobody", "unknown"),
    ],
)
def test_a_log_line_may_name_only_the_recipients_domain(address: str, domain: str) -> None:
    assert recipient_domain(address) == domain


async def test_the_development_catcher_prints_each_mail_with_its_links(
    capsys: pytest.CaptureFixture[str],
) -> None:
    mail = Mail(
        to="ann@example.org",
        subject="[Svc] Verify",
        text="Go to https://app.example.com/verify-email?token=abc, then log in.\n",
        html="<p>x</p>",
    )
    # On a thread of its own, as `dev` runs it beside uvicorn.
    with catching_in_background(0) as port:
        await SmtpMailer(mail_settings(port)).send(mail)
    # The comma after the link is the sentence's, not the link's.
    assert capsys.readouterr().out == (
        "Mail to ann@example.org: [Svc] Verify\n  https://app.example.com/verify-email?token=abc\n"
    )
