"""Review in a real headless Chromium (Playwright), by keyboard: start a scan from the pages under the
evidence root, watch it finish, open the review grid, unblur and blur one item, grade groups with the
category keys, skip, ignore and undo. Screenshots in test-artifacts/pages. Benign generated images only."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from netsafe.accounts.roles import Role
from netsafe.audit.service import Actor
from netsafe.services.accounts import add_user
from netsafe.store.db import open_database

from .helpers import PASSWORD
from .test_browser import ARTIFACTS, _page, _shot, browser  # noqa: F401 - the browser fixture
from .test_serve import serving

pytestmark = pytest.mark.slow


def _load(name: str) -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "review" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_review_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ev = _load("evidence_ui")


@dataclass
class Site:
    base: str
    folder: Path


@pytest.fixture(scope="module")
def review_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("browser-review")
    evidence = ev.build(root / "evidence")
    # A near-duplicate of the loose photo (smaller, recompressed): the queue groups the pair.
    small = io.BytesIO()
    Image.open(io.BytesIO(evidence.loose)).resize((480, 360)).save(small, "JPEG", quality=80)
    (evidence.folder / "holiday-small.jpg").write_bytes(small.getvalue())
    url = f"sqlite:///{root / 'netsafe.db'}"
    db = open_database(url)
    with db.session() as session:
        for role in Role:
            add_user(session, Actor("test"), role.value, role, PASSWORD)
    ev.import_file(db, ev.ACTOR, evidence.hashset_csv, "caid-test", format="csv", profile="uk-caid")
    db.dispose()
    review = {
        "evidence_roots": [str(root / "evidence")],
        "scan_out_dir": str(root / "reports"),
        "break_reminder_minutes": 1,
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    env = {"NETSAFE_INDEX_DIR": str(root / "idx"), "NETSAFE_REVIEW": json.dumps(review)}
    with serving(url, env=env) as (base, _):
        yield Site(base, evidence.folder)


def _focused(page: object) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))  # type: ignore[attr-defined]


def _state(page: object, card: str) -> str:
    return str(page.get_attribute(f"#{card}", "data-state"))  # type: ignore[attr-defined]


def test_review_by_keyboard(browser: object, review_site: Site) -> None:  # noqa: F811
    page, outside = _page(browser, review_site.base, "analyst")
    page.goto("/scans")
    _shot(page, "11-scans")
    # Start a scan from the form, by keyboard: the path, then Enter.
    field = page.get_by_label("Folder or file on the server (under an evidence root)")
    field.fill(str(review_site.folder))
    with page.expect_navigation():
        field.press("Enter")
    assert "/scans/" in page.url
    _shot(page, "12-scan-started")
    page.wait_for_selector('[data-status="finished"]', timeout=120_000)
    page.wait_for_selector("text=Graded in review", timeout=30_000)  # reloaded once, with the counts
    _shot(page, "13-scan-finished")
    with page.expect_navigation():
        page.get_by_role("link", name="Review the unknown images and videos").click()
    page.wait_for_load_state("networkidle")
    cards = page.locator("li.card")
    # The near-duplicate pair is one group; the loose, archived, on-disk photos and the video are the
    # others; the listed photo is no item at all.
    assert cards.count() == 4
    pair = page.locator("li.card", has_text="2 near-duplicates")
    assert pair.count() == 1
    assert page.locator("video").count() == 0
    first = cards.nth(0).get_attribute("id")
    assert _focused(page) == first
    # The blur is in the served bytes: no CSS filter on the thumbnails, and the bytes themselves lack detail.
    lead = cards.nth(0).locator("img.lead")
    lead.wait_for(state="visible")
    assert lead.evaluate("e => getComputedStyle(e).filter") == "none"
    blurred = page.request.get(review_site.base + str(lead.get_attribute("src"))).body()
    _shot(page, "14-review-grid")
    # V unblurs the focused group's first item: the page asks the server for it sharp (audited).
    with page.expect_response(lambda r: "blur=0" in r.url) as answer:
        page.keyboard.press("v")
    assert answer.value.ok
    sharp = answer.value.body()
    assert ev.high_frequency(blurred) < 0.1 * ev.high_frequency(sharp)
    page.wait_for_selector('li.card img.lead[src*="blur=0"]')
    page.wait_for_load_state("networkidle")
    _shot(page, "15-review-unblurred-one")
    # The same request from outside the page (no Sec-Fetch-Site: same-origin) is refused.
    assert page.request.get(review_site.base + str(lead.get_attribute("data-sharp"))).status == 403
    page.keyboard.press("v")
    page.wait_for_selector('li.card img.lead[data-shown="blurred"]')
    ids = [cards.nth(i).get_attribute("id") for i in range(4)]
    # A grades the focused group, focus moves on; S skips; N (non-pertinent) grades; U takes it back.
    page.keyboard.press("a")
    page.wait_for_selector(f'#{ids[0]}[data-state="graded"]')
    assert _focused(page) == ids[1]
    page.keyboard.press("s")
    assert _focused(page) == ids[2]
    page.keyboard.press("n")
    page.wait_for_selector(f'#{ids[2]}[data-state="graded"]')
    with page.expect_navigation():
        page.keyboard.press("u")
    page.wait_for_load_state("networkidle")
    # Back on the open groups: the one just graded Non-pertinent is open again, the first stays graded.
    assert page.locator(f"#{ids[2]}").count() == 1 and page.locator(f"#{ids[0]}").count() == 0
    page.locator(f"#{ids[2]}").focus()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")
    assert _focused(page) == ids[2]
    page.keyboard.press("b")
    page.wait_for_selector(f'#{ids[2]}[data-state="graded"]')
    # I marks the next one ignored.
    page.locator(f"#{ids[1]}").focus()
    page.keyboard.press("i")
    page.wait_for_selector(f'#{ids[1]}[data-state="ignored"]')
    _shot(page, "16-review-graded")
    scan_id = page.url.split("/scans/")[1].split("/")[0]
    listing = page.request.get(f"{review_site.base}/api/v1/scans/{scan_id}/review?limit=100").json()
    states = {g["group"]: (g["state"], g["category"]) for g in listing["groups"]}
    assert states[int(ids[0].split("-")[1])] == ("graded", "A")
    assert states[int(ids[1].split("-")[1])] == ("ignored", None)
    assert states[int(ids[2].split("-")[1])] == ("graded", "B")
    assert states[int(ids[3].split("-")[1])][0] == "open"
    page.goto(f"/scans/{scan_id}/review?state=")
    assert page.locator("#today-items").inner_text() == "1"  # the one unblur, counted once
    _shot(page, "17-review-all")
    # The break reminder: hidden until today's minutes in review reach break_reminder_minutes (1 here).
    assert page.locator("#break").is_hidden()
    csrf = str(page.locator("#grid").get_attribute("data-csrf"))
    reported = page.request.post(
        f"{review_site.base}/api/v1/review/time", data={"seconds": 90}, headers={"X-CSRF-Token": csrf}
    )
    assert reported.ok, reported.text()
    page.reload()
    assert page.get_by_role("alert").filter(has_text="Take a break").is_visible()
    _shot(page, "18-break-reminder")
    assert outside == []
