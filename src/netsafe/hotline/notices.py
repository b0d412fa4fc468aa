"""Notices and referrals as emails: one per recipient with all its URLs, from templates the operator can
override, sent through the configured SMTP server.

A template is Jinja2 text whose first line is ``Subject: ...``; the rest is the body. The packaged ones are
``templates/host.txt``, ``partner.txt`` and ``police.txt``; a file of the same name in the operator's
``templates_dir`` replaces one. Templates run sandboxed and an unknown variable is an error, not a blank,
so a typo in an override shows up in the first notice, not in a notice that says nothing.

Every message carries ``Auto-Submitted: auto-generated`` (RFC 3834) so that autoresponders do not answer,
and ``X-Netsafe-References`` so that a reply or a bounce can be matched to the reports.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Literal

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from netsafe.errors import InvalidInput, Unavailable
from netsafe.hotline.settings import HotlineSettings

NoticeKind = Literal["host", "partner", "police"]
KINDS: tuple[NoticeKind, ...] = ("host", "partner", "police")
PACKAGED_TEMPLATES = Path(__file__).resolve().parent / "templates"
_EMAIL = re.compile(r"[^@\s,;<>\"()\[\]]+@[^@\s,;<>\"()\[\]]+")


class NoticeError(InvalidInput):
    """A notice cannot be composed as asked (a bad address, no URLs, a broken template)."""


class SmtpUnavailable(Unavailable):
    """The SMTP server cannot be reached (raised only by :func:`open_smtp`; send() reports per message)."""


@dataclass(frozen=True, slots=True)
class SendResult:
    to: str
    message_id: str
    ok: bool
    error: str | None = None  # one line; None when the server accepted the message
    references: list[str] = field(default_factory=list)


def compose(
    kind: NoticeKind,
    to: str,
    urls: Sequence[str],
    attempt: int,
    references: Sequence[str] | str,
    settings: HotlineSettings,
    *,
    context: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """One message to ``to`` about every URL in ``urls`` (notice number ``attempt``, from 1).

    ``context`` adds template variables (``organisation``, ``asn``, ``hosting_country``, ``partner_name``,
    ``hotline_name`` or the operator's own); the standard ones are ``kind``, ``to``, ``urls``, ``attempt``,
    ``references``, ``country``, ``sender``, ``now``.
    """
    if kind not in KINDS:
        raise NoticeError(f"unknown notice kind {kind!r}; choose from {', '.join(KINDS)}")
    if not _EMAIL.fullmatch(to or ""):
        raise NoticeError(f"notice recipient {to!r} is not an email address")
    if not urls:
        raise NoticeError("a notice needs at least one URL")
    if attempt < 1:
        raise NoticeError(f"attempt must be 1 or more, not {attempt}")
    refs = [references] if isinstance(references, str) else list(references)
    when = now or datetime.now(UTC)
    variables: dict[str, Any] = {
        "organisation": None,
        "asn": None,
        "hosting_country": None,
        "partner_name": None,
        "hotline_name": "The hotline",
        **dict(context or {}),
        "kind": kind,
        "to": to,
        "urls": [_one_line(url) for url in urls],
        "attempt": attempt,
        "references": refs,
        "country": settings.country,
        "sender": settings.notice_from,
        "now": when,
    }
    name = f"{kind}.txt"
    try:
        text = _environment(settings.templates_dir).get_template(name).render(variables)
    except jinja2.TemplateSyntaxError as err:
        raise NoticeError(
            f"notice template {name} line {err.lineno}: {_one_line(err.message or '')}"
        ) from None
    except jinja2.TemplateNotFound:
        raise NoticeError(f"notice template {name} is missing") from None
    except jinja2.TemplateError as err:
        raise NoticeError(f"notice template {name}: {_one_line(str(err))}") from None
    subject, body = _split(text, name)
    message = EmailMessage()
    message["From"] = settings.notice_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(when if when.tzinfo else when.replace(tzinfo=UTC))
    message["Message-ID"] = make_msgid(domain=settings.notice_from.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Netsafe-Notice"] = f"{kind}; attempt={attempt}"
    message["X-Netsafe-References"] = ", ".join(_one_line(ref) for ref in refs)
    # 7bit/8bit keep each URL on one line, as it was written; quoted-printable would break long ones.
    longest = max((len(line) for line in body.splitlines()), default=0)
    encoding = "quoted-printable" if longest > 990 else "7bit" if body.isascii() else "8bit"
    message.set_content(body, cte=encoding)
    return message


def send(
    messages: Sequence[EmailMessage], settings: HotlineSettings, *, timeout: float = 30.0
) -> list[SendResult]:
    """Send each message over one SMTP connection; a result per message, in order, never an exception for
    a refused message or an unreachable server (each result says what happened, in one line)."""
    results: list[SendResult] = []
    if not messages:
        return results
    try:
        smtp = open_smtp(settings, timeout=timeout)
    except SmtpUnavailable as err:
        return [_result(message, str(err)) for message in messages]
    try:
        for index, message in enumerate(messages):
            try:
                refused = smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused as err:
                results.append(_result(message, _refusal(next(iter(err.recipients.values()), None))))
            except smtplib.SMTPResponseException as err:
                results.append(_result(message, _refusal((err.smtp_code, err.smtp_error))))
            except (smtplib.SMTPException, OSError) as err:
                # The connection is gone: this message and the rest are not sent.
                reason = f"the SMTP connection broke off ({type(err).__name__})"
                results.extend(_result(rest, reason) for rest in messages[index:])
                break
            else:
                if refused:
                    results.append(_result(message, _refusal(next(iter(refused.values())))))
                else:
                    results.append(_result(message, None))
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
    return results


def open_smtp(settings: HotlineSettings, *, timeout: float = 30.0) -> smtplib.SMTP:
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        smtp.ehlo_or_helo_if_needed()
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.smtp_user:
            _login(smtp, settings.smtp_user, _password(settings))
    except smtplib.SMTPAuthenticationError:
        raise SmtpUnavailable(
            f"the SMTP server {where} refused the login of smtp_user (check smtp_password_file)"
        ) from None
    except smtplib.SMTPNotSupportedError as err:
        raise SmtpUnavailable(
            f"the SMTP server {where} does not offer {'STARTTLS' if 'STARTTLS' in str(err) else 'AUTH'}"
        ) from None
    except ssl.SSLError as err:
        raise SmtpUnavailable(f"STARTTLS with {where} failed ({err.reason or type(err).__name__})") from None
    except TimeoutError:
        raise SmtpUnavailable(f"the SMTP server {where} did not answer in {timeout:g} s") from None
    except ConnectionRefusedError:
        raise SmtpUnavailable(
            f"the SMTP server {where} refused the connection (smtp_host, smtp_port)"
        ) from None
    except (smtplib.SMTPException, OSError) as err:
        raise SmtpUnavailable(f"cannot reach the SMTP server {where} ({type(err).__name__})") from None
    return smtp


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    try:
        smtp.login(user, password)
    except smtplib.SMTPServerDisconnected:
        # Some relays hang up on a failed login rather than answer the next mechanism smtplib tries.
        raise smtplib.SMTPAuthenticationError(535, b"disconnected after a failed login") from None


def _password(settings: HotlineSettings) -> str:
    if settings.smtp_password_file is None:
        raise SmtpUnavailable(
            "smtp_user is set but smtp_password_file is not: name the file with the password"
        )
    try:
        return settings.smtp_password_file.read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError) as err:
        raise SmtpUnavailable(f"cannot read smtp_password_file ({type(err).__name__})") from None


def _environment(templates_dir: Path | None) -> SandboxedEnvironment:
    folders = [str(PACKAGED_TEMPLATES)]
    if templates_dir is not None:
        folders.insert(0, str(templates_dir))
    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(folders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )


def _split(text: str, name: str) -> tuple[str, str]:
    first, _, rest = text.lstrip("\n").partition("\n")
    if not first.lower().startswith("subject:"):
        raise NoticeError(f"notice template {name} line 1: must start with 'Subject: ...'")
    subject = _one_line(first[len("subject:") :])
    if not subject:
        raise NoticeError(f"notice template {name} line 1: the subject is empty")
    return subject, rest.lstrip("\n")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _result(message: EmailMessage, error: str | None) -> SendResult:
    references = [
        ref.strip() for ref in str(message.get("X-Netsafe-References", "")).split(",") if ref.strip()
    ]
    return SendResult(
        to=str(message.get("To", "")),
        message_id=str(message.get("Message-ID", "")),
        ok=error is None,
        error=error,
        references=references,
    )


def _refusal(reply: tuple[int, bytes | str] | None) -> str:
    if reply is None:
        return "the SMTP server refused the recipient"
    code, text = reply
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"the SMTP server refused it: {code} {_one_line(said)[:200]}"
