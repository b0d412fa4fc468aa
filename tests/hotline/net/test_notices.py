"""Notices: one message per recipient with all its URLs, attempt counted, templates overridable, sent to a
local aiosmtpd server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from netsafe.hotline.notices import NoticeError, compose, send
from netsafe.hotline.settings import HotlineSettings

from .conftest import free_port

URLS = ["http://img.test/a.jpg", "http://img.test/b/c.png?x=1"]


@dataclass
class Mailbox:
    # aiosmtpd finds its hooks by these names.
    messages: list[Message] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, HotlineSettings]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, HotlineSettings(smtp_host="127.0.0.1", smtp_port=port, notice_from="hotline@netsafe.test")
    finally:
        controller.stop()


def test_host_notice_carries_every_url_and_the_attempt() -> None:
    settings = HotlineSettings(notice_from="hotline@netsafe.test", country="GB")
    when = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    message = compose(
        "host",
        "abuse@host.test",
        URLS,
        3,
        ["R-1", "R-2"],
        settings,
        context={"organisation": "Host Ltd"},
        now=when,
    )
    assert message["To"] == "abuse@host.test" and message["From"] == "hotline@netsafe.test"
    assert "(reminder 3)" in message["Subject"] and "[R-1, R-2]" in message["Subject"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Netsafe-Notice"] == "host; attempt=3"
    assert message["Date"] == "Fri, 04 Dec 2026 12:00:00 +0000"
    body = message.get_content()
    assert all(f"\n{url}\n" in body for url in URLS)
    assert message["Content-Transfer-Encoding"] == "7bit"
    assert "Notice number: 3" in body and "notice number 3" in body and "Host Ltd" in body
    first = compose("host", "abuse@host.test", URLS[:1], 1, "R-1", settings)
    assert "reminder" not in first["Subject"] and "URL\n" in first.get_content()


@pytest.mark.parametrize("kind", ["partner", "police"])
def test_referrals(kind: Any) -> None:
    message = compose(
        kind,
        "x@partner.test",
        URLS,
        1,
        ["R-9"],
        HotlineSettings(),
        context={"hosting_country": "NL", "asn": 64500, "partner_name": "Meldpunt"},
    )
    assert "NL" in message["Subject"] and "AS64500" in message.get_content()


def test_operator_template_overrides_by_file_name(tmp_path: Path) -> None:
    (tmp_path / "host.txt").write_text(
        "Subject: Takedown {{ references[0] }} #{{ attempt }}\n\n{{ urls|join(' ') }}\n"
    )
    settings = HotlineSettings(templates_dir=tmp_path)
    message = compose("host", "a@b.test", URLS, 2, ["R-5"], settings)
    assert message["Subject"] == "Takedown R-5 #2"
    assert message.get_content().strip() == " ".join(URLS)
    assert (
        "Referral" in compose("partner", "a@b.test", URLS, 1, ["R-5"], settings)["Subject"]
    )  # not overridden


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("Subject: {{ nonsense }}\n\nx", "notice template host.txt: 'nonsense' is undefined"),
        ("Subject: {% if %}\n\nx", "notice template host.txt line 1:"),
        ("No subject line\n\nbody", "line 1: must start with 'Subject: ...'"),
        ("Subject: {{ ''.__class__.__mro__ }}\n\nx", "notice template host.txt:"),
    ],
)
def test_broken_templates_are_one_line(tmp_path: Path, template: str, message: str) -> None:
    (tmp_path / "host.txt").write_text(template)
    with pytest.raises(NoticeError) as caught:
        compose("host", "a@b.test", URLS, 1, ["R"], HotlineSettings(templates_dir=tmp_path))
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert str(tmp_path) not in str(caught.value)


@pytest.mark.parametrize("to", ["", "nobody", "a@b.test\nBcc: evil@x.test", "a@b.test, c@d.test"])
def test_bad_recipients_refused(to: str) -> None:
    with pytest.raises(NoticeError):
        compose("host", to, URLS, 1, ["R"], HotlineSettings())


def test_no_urls_or_a_bad_attempt() -> None:
    with pytest.raises(NoticeError):
        compose("host", "a@b.test", [], 1, ["R"], HotlineSettings())
    with pytest.raises(NoticeError):
        compose("host", "a@b.test", URLS, 0, ["R"], HotlineSettings())


def test_send_delivers_each_message_and_reports_refusals(smtp: tuple[Mailbox, HotlineSettings]) -> None:
    box, settings = smtp
    box.refuse.add("gone@host.test")
    messages = [
        compose("host", "abuse@host.test", URLS, 1, ["R-1"], settings),
        compose("host", "gone@host.test", URLS[:1], 1, ["R-2"], settings),
        compose("partner", "hotline@partner.test", URLS[1:], 2, ["R-3", "R-4"], settings),
    ]
    results = send(messages, settings)
    assert [(r.to, r.ok) for r in results] == [
        ("abuse@host.test", True),
        ("gone@host.test", False),
        ("hotline@partner.test", True),
    ]
    assert results[1].error is not None and "550" in results[1].error
    assert results[2].references == ["R-3", "R-4"] and results[0].message_id == messages[0]["Message-ID"]
    assert [m["To"] for m in box.messages] == ["abuse@host.test", "hotline@partner.test"]
    assert all(url in box.messages[0].get_content() for url in URLS)  # type: ignore[attr-defined]


def test_unreachable_server_fails_each_message_in_one_line() -> None:
    settings = HotlineSettings(smtp_host="127.0.0.1", smtp_port=free_port())
    results = send([compose("host", "a@b.test", URLS, 1, ["R"], settings)] * 2, settings, timeout=2)
    assert [r.ok for r in results] == [False, False]
    assert results[0].error is not None and "refused the connection" in results[0].error
    assert send([], settings) == []


def _login(box: Mailbox, port: int, users: dict[str, str]) -> Controller:
    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = (
            isinstance(auth_data, LoginPassword)
            and users.get(auth_data.login.decode()) == auth_data.password.decode()
        )
        return AuthResult(success=ok)

    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,  # the test relay has no certificate; a real one offers STARTTLS first
    )
    controller.start()
    return controller


def test_a_relay_that_wants_a_login_gets_one_from_the_password_file(tmp_path: Path) -> None:
    box, port = Mailbox(), free_port()
    controller = _login(box, port, {"hotline": "s3cret"})
    secret = tmp_path / "smtp-password"
    secret.write_text("s3cret\n")
    base = {"smtp_host": "127.0.0.1", "smtp_port": port, "notice_from": "hotline@netsafe.test"}
    try:
        message = compose("host", "abuse@host.test", URLS, 1, ["R-1"], HotlineSettings(**base))
        [unsent] = send([message], HotlineSettings(**base))  # no login: the relay refuses the mail
        assert not unsent.ok and box.messages == []
        good = HotlineSettings(**base, smtp_user="hotline", smtp_password_file=secret)
        [sent] = send([message], good)
        assert sent.ok and len(box.messages) == 1
        secret.write_text("wrong")
        [refused] = send([message], good)
        assert not refused.ok and "refused the login" in (refused.error or "")
        assert "wrong" not in (refused.error or "") and str(tmp_path) not in (refused.error or "")
        missing = HotlineSettings(**base, smtp_user="hotline")
        [unset] = send([message], missing)
        assert "smtp_password_file" in (unset.error or "")
    finally:
        controller.stop()


def test_starttls_not_offered_is_one_line(smtp: tuple[Mailbox, HotlineSettings]) -> None:
    box, settings = smtp
    tls = settings.model_copy(update={"smtp_starttls": True})
    message = compose("host", "abuse@host.test", URLS, 1, ["R-1"], tls)
    [result] = send([message], tls)
    assert not result.ok and "STARTTLS" in (result.error or "") and box.messages == []
