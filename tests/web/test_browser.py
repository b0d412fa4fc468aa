"""The pages in a real headless Chromium (Debian's, driven by Playwright), with a screenshot of each page in
test-artifacts/. The server runs on 127.0.0.1 and the browser may load nothing from anywhere else."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from netsafe.accounts.roles import Role
from netsafe.audit.service import Actor
from netsafe.hashing.engine import hash_bytes
from netsafe.hashing.options import HashOptions
from netsafe.services.accounts import add_user
from netsafe.services.hashsets import import_file
from netsafe.store.db import open_database

from .helpers import PASSWORD, jpeg_bytes
from .test_serve import serving

ACTOR = Actor("test")

CHROMIUM = os.environ.get("NETSAFE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pages"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} missing: scripts/system-packages.txt installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'netsafe.db'}"
    db = open_database(url)
    with db.session() as session:
        for role in Role:
            add_user(session, Actor("test"), role.value, role, PASSWORD)
    db.dispose()
    # A known image, so the match test does not depend on the import test (they may run apart).
    known = hash_bytes(jpeg_bytes(21), "k.jpg", HashOptions())
    listing = folder / "known.csv"
    listing.write_text(f"md5,category\n{known.digests['md5']},A\n")
    db = open_database(url)
    import_file(db, ACTOR, listing, "demo-bank", format="csv")
    db.dispose()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with serving(url, env={"NETSAFE_INDEX_DIR": str(folder / "idx")}) as (base, _):
        yield base


def _page(browser: object, base: str, user: str) -> tuple[object, list[str]]:
    context = browser.new_context(base_url=base, viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    outside: list[str] = []
    # blob: URLs are the person's own file, read locally by the page.
    local = (base, f"blob:{base}")
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    page.goto("/login")
    # Keyboard only: the user-name field has focus, Tab to the password, Enter submits.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'username'")
    page.keyboard.type(user)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    assert not page.url.endswith("/login"), page.content()
    return page, outside


def _shot(page: object, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_login_page_and_failed_login(browser: object, site: str) -> None:
    context = browser.new_context(base_url=site)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto("/login")
    assert page.get_by_label("User name").is_visible() and page.get_by_label("Password").is_visible()
    _shot(page, "01-login")
    page.get_by_label("User name").fill("analyst")
    page.get_by_label("Password").fill("wrong password!")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "wrong user name or password"
    _shot(page, "02-login-failed")
    context.close()


def test_curator_imports_and_browses_hash_sets(browser: object, site: str, tmp_path: Path) -> None:
    page, outside = _page(browser, site, "curator")
    assert page.url.endswith("/match")
    page.goto("/hashsets")
    known = hash_bytes(jpeg_bytes(21), "k.jpg", HashOptions())
    listing = tmp_path / "known.csv"
    listing.write_text(f"md5,category\n{known.digests['md5']},A\n{'1' * 32},C\n{'2' * 32},\n")
    page.get_by_label("Hash set name (created if new)").fill("curated")
    page.get_by_label("File (VICS JSON").set_input_files(str(listing))
    page.get_by_label("Format").select_option("csv")
    with page.expect_navigation():
        page.get_by_role("button", name="Import").click()
    assert "imported 3 records into curated" in page.get_by_role("status").inner_text()
    _shot(page, "03-hashsets")
    page.get_by_role("link", name="curated").click()
    rows = page.locator("table").first.inner_text()
    assert "A" in rows and "Uncategorised" in rows
    _shot(page, "04-hashset-detail")
    assert outside == []


def test_match_page_hides_known_images_and_veils_previews(browser: object, site: str, tmp_path: Path) -> None:
    page, outside = _page(browser, site, "analyst")
    known = tmp_path / "known.jpg"
    known.write_bytes(jpeg_bytes(21))
    fresh = tmp_path / "fresh.jpg"
    fresh.write_bytes(jpeg_bytes(22))
    page.goto("/match")
    _shot(page, "05-match")
    page.get_by_label("File", exact=True).set_input_files(str(known))
    page.get_by_role("button", name="Match").click()
    page.wait_for_selector(".result")
    assert page.locator(".result").get_attribute("data-matched") == "true"
    assert page.locator("img").count() == 0
    assert "demo-bank" in page.locator("#results table").inner_text()
    _shot(page, "06-match-found")
    page.get_by_label("File", exact=True).set_input_files(str(fresh))
    page.get_by_role("button", name="Match").click()
    page.wait_for_selector('.result[data-matched="false"]')
    image = page.locator("#preview-img")
    image.wait_for(state="visible")
    assert "veiled" in (image.get_attribute("class") or "")
    filt = image.evaluate("e => getComputedStyle(e).filter")
    assert "blur" in filt and "grayscale" in filt
    _shot(page, "07-match-none-veiled")
    page.get_by_role("button", name="Show preview").press("Enter")
    assert "veiled" not in (image.get_attribute("class") or "")
    assert page.get_by_role("button", name="Blur preview").get_attribute("aria-pressed") == "true"
    assert outside == []


def test_admin_and_audit_pages(browser: object, site: str) -> None:
    page, outside = _page(browser, site, "admin")
    page.goto("/admin")
    page.get_by_label("Token name").fill("robot")
    with page.expect_navigation():
        page.get_by_role("button", name="Create token").click()
    assert page.get_by_label("New token").input_value().startswith("nst_")
    _shot(page, "08-admin")
    page.goto("/api/v1/docs")
    assert "POST /api/v1/match" in page.content()
    _shot(page, "09-api-docs")
    failed = browser.new_context(base_url=site).new_page()  # type: ignore[attr-defined]
    failed.goto("/login")
    failed.get_by_label("User name").fill("mallory")
    failed.get_by_label("Password").fill("guessing-guessing")
    with failed.expect_navigation():
        failed.get_by_role("button", name="Sign in").click()
    audit, outside2 = _page(browser, site, "auditor")
    assert audit.url.endswith("/audit")
    audit.get_by_label("Action").fill("login")
    with audit.expect_navigation():
        audit.get_by_role("button", name="Filter").click()
    assert "login.failed" in audit.locator("table").inner_text()
    with audit.expect_navigation():
        audit.get_by_role("button", name="Verify chain").click()
    assert "Chain intact" in audit.get_by_role("status").first.inner_text()
    _shot(audit, "10-audit")
    assert outside == [] and outside2 == []


def _open_case(page: object, reference: str, received: str, operation: str = "") -> None:
    page.goto("/cases")  # type: ignore[attr-defined]
    page.get_by_label("Case reference").fill(reference)  # type: ignore[attr-defined]
    page.get_by_label("Referral source").select_option("nca")  # type: ignore[attr-defined]
    page.get_by_label("Received").fill(received)  # type: ignore[attr-defined]
    page.get_by_label("Operation (optional)").fill(operation)  # type: ignore[attr-defined]
    with page.expect_navigation():  # type: ignore[attr-defined]
        page.get_by_role("button", name="Open case").click()  # type: ignore[attr-defined]


def test_investigator_queue_and_case_pages(browser: object, site: str) -> None:
    page, outside = _page(browser, site, "investigator")
    assert page.url.endswith("/cases")
    _open_case(page, "NS-2026-001", "2026-01-05", "Operation NetSafe")
    _open_case(page, "NS-2026-002", "2026-11-30", "Operation NetSafe")
    _open_case(page, "NS-2026-003", "2026-11-01")
    # Assess the first through the form: access to children with an unknown facilitator.
    page.goto("/cases/NS-2026-001/assess")
    question = page.get_by_role("group", name="Does the subject live with a child (under 18)?")
    question.get_by_label("yes").check()
    page.locator("#source-lives_with_child").fill("council tax record")
    with page.expect_navigation():
        page.get_by_role("button", name="Assess").click()
    reasons = page.locator("ul.reasons").inner_text()
    assert "Very High" not in reasons and "access to children (lives with a child)" in reasons
    assert "Gaps to fill" in page.content() and "council tax record" in page.content()
    page.get_by_label("Action").select_option("visit")
    with page.expect_navigation():
        page.get_by_role("button", name="Record action").click()
    assert "Clock stopped" in page.get_by_role("status").inner_text()
    _shot(page, "11-case")
    page.goto("/cases")
    rows = page.locator("#queue tbody tr")
    assert rows.count() == 3
    assert page.locator("tr.overdue").count() >= 1 and "OVERDUE" in page.locator("#queue").inner_text()
    _shot(page, "12-case-queue")
    # The queue as it stood on another day, swapped in place by htmx (the form works without it too).
    page.get_by_label("Queue as of").fill("2026-01-10")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/cases?as_of=2026-01-10")
    page.wait_for_function("document.querySelector('[role=status]').innerText.includes('0 overdue')")
    assert page.locator("tr.overdue").count() == 0
    # An analyst never sees a case.
    analyst, outside2 = _page(browser, site, "analyst")
    analyst.goto("/cases")
    assert "Not allowed" in analyst.content() and "NS-2026" not in analyst.content()
    assert outside == [] and outside2 == []
