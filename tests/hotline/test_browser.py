"""The hotline's pages in a real headless Chromium (Playwright), with screenshots in test-artifacts/:
the public form (with JavaScript off), and the assessment queue with veiled thumbnails, a known picture
shown as its grade, a clear view on request (audited) and the assessment form."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netsafe.accounts.roles import Role
from netsafe.audit.service import Actor, AuditFilter, search
from netsafe.hotline import capturing, views
from netsafe.hotline.settings import HotlineSettings
from netsafe.hotline.storage import open_vault
from netsafe.services import hashsets as hs
from netsafe.services.accounts import add_user
from netsafe.services.matcher import Matcher
from netsafe.store.db import open_database
from web.helpers import PASSWORD
from web.test_browser import browser
from web.test_serve import serving

from .helpers import jpeg_bytes
from .site import LocalSite, gallery, serve

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pages"
__all__ = ["browser"]  # the one Chromium fixture (tests/web/test_browser.py)

ACTOR = Actor("test")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hotline(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, str, HotlineSettings, LocalSite]]:
    folder = tmp_path_factory.mktemp("hotline-browser")
    url = f"sqlite:///{folder / 'netsafe.db'}"
    table = {
        "fetch_allow_networks": ["127.0.0.0/8"],
        "capture_dir": str(folder / "captures"),
        "key_file": str(folder / "vault.key"),
    }
    config = folder / "netsafe.toml"
    config.write_text("[hotline]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in table.items()))
    db = open_database(url)
    with db.session() as session:
        for role in (Role.ANALYST, Role.SENIOR):
            add_user(session, ACTOR, role.value, role, PASSWORD)
    known = jpeg_bytes(31)
    hs.create_set(db, ACTOR, "known")
    hs.add_entries(db, ACTOR, "known", [hs.NewEntry({"sha256": hashlib.sha256(known).hexdigest()}, "A")])
    db.dispose()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with serve() as site:
        site.put("/gallery", gallery(["known.jpg", "new.jpg"]))
        site.put("/known.jpg", known, "image/jpeg")
        site.put("/new.jpg", jpeg_bytes(32), "image/jpeg")
        env = {"NETSAFE_INDEX_DIR": str(folder / "idx"), "NETSAFE_CONFIG": str(config)}
        with serving(url, env=env) as (base, _):
            yield base, url, HotlineSettings(**table), site  # type: ignore[arg-type]


def _watch(page: Any, base: str) -> list[str]:
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
    return outside


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_public_form_without_javascript(
    browser: Any, hotline: tuple[str, str, HotlineSettings, LocalSite]
) -> None:
    base, _url, _settings, site = hotline
    context = browser.new_context(base_url=base, java_script_enabled=False)
    page = context.new_page()
    outside = _watch(page, base)
    page.goto("/report")
    _shot(page, "hotline-01-report-form")
    page.get_by_label("Address of the page (required)").fill("ftp://nowhere")
    with page.expect_navigation():
        page.get_by_role("button", name="Send report").click()
    assert page.get_by_role("alert").inner_text().startswith("url: ")
    page.get_by_label("Address of the page (required)").fill(site.url("/gallery"))
    page.get_by_label("What did you see? (optional)").fill("pictures in a gallery")
    with page.expect_navigation():
        page.get_by_role("button", name="Send report").click()
    reference = page.locator("#reference").inner_text()
    assert reference.startswith("HL-")
    _shot(page, "hotline-02-report-received")
    assert outside == []
    context.close()


def test_assessment_queue_veils_and_grades(
    browser: Any, hotline: tuple[str, str, HotlineSettings, LocalSite]
) -> None:
    base, url, settings, _site = hotline
    db = open_database(url)
    try:
        pending = [r["reference"] for r in views.list_reports(db, "received")]
        assert pending, "the public form test reports the gallery first"
        ref = pending[0]
        out = capturing.capture(
            db, ACTOR, ref, settings=settings, matcher=Matcher(db), vault=open_vault(settings, db)
        )
        assert out["status"] == "captured" and len(out["items"]) == 2
    finally:
        db.dispose()
    context = browser.new_context(base_url=base, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    outside = _watch(page, base)
    page.goto("/login")
    page.get_by_label("User name").fill("analyst")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.goto("/hotline")
    page.wait_for_load_state("networkidle")
    section = page.locator("section.report", has_text=ref)
    assert "Known: category A" in section.inner_text()
    assert section.locator("img").count() == 1  # the known picture is never drawn
    thumb = section.locator("img.veiled-thumb")
    assert thumb.evaluate("i => i.complete && i.naturalWidth > 0")
    assert "/thumb" in (thumb.get_attribute("src") or "")
    _shot(page, "hotline-03-queue-veiled")
    section.get_by_role("link", name="Show clearly (recorded)").click()
    clear = section.locator('img[src$="/clear"]')
    clear.wait_for(state="visible")
    page.wait_for_function("document.querySelector('img[src$=\"/clear\"]').naturalWidth > 0")
    _shot(page, "hotline-04-queue-clear")
    db = open_database(url)
    try:
        with db.session() as session:
            views_ = search(session, AuditFilter(action="hotline.item.view"))
        assert views_ and views_[0].actor == "user:analyst"
    finally:
        db.dispose()
    page.goto(f"/hotline/reports/{ref}")
    page.get_by_label("criminal", exact=True).check()
    category = page.locator("select[id$='-category']").first
    category.select_option("C")
    page.locator("select[id$='-age_band']").first.select_option("14-15")
    page.get_by_label("Site type").select_option("image_host")
    _shot(page, "hotline-05-assess-form")
    with page.expect_navigation():
        page.get_by_role("button", name="Record assessment").click()
    assert f"{ref} assessed criminal (A)" in page.get_by_role("status").inner_text()
    _shot(page, "hotline-06-assessed")
    assert outside == []
    context.close()
