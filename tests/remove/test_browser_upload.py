"""The second way in a real headless Chromium at phone width: the person ticks the opt-in and sends one
reference photo; the server seals it (no plaintext in the store, the vault or the server's temporary
files), an analyst's assessment over the API settles the request, and the status page then says the
picture was deleted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from netsafe.accounts.roles import Permission
from netsafe.audit.service import Actor
from netsafe.services.accounts import create_token
from netsafe.store.db import open_database
from web.test_browser import ARGS, CHROMIUM, browser
from web.test_serve import _bearer, serving

__all__ = ["ARGS", "CHROMIUM", "browser"]

pytestmark = pytest.mark.slow
PHOTO = Path(__file__).resolve().parents[1] / "data" / "reference" / "pdq" / "bridge-mods" / "aaa-orig.jpg"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "remove"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("remove-upload-browser")
    url = f"sqlite:///{folder / 'netsafe.db'}"
    scratch = folder / "tmp"
    scratch.mkdir()
    with serving(url, env={"NETSAFE_INDEX_DIR": str(folder / "idx"), "TMPDIR": str(scratch)}) as (base, _):
        _bearer(url, "analyst", frozenset({Permission.MATCH}))
        db = open_database(url)
        with db.session() as session:
            secret, _ = create_token(
                session, Actor("test"), "hotline", frozenset({Permission.HOTLINE}), "someone"
            )
        db.dispose()
        yield base, folder, {"Authorization": f"Bearer {secret}"}


def _plaintext_in(folder: Path, data: bytes) -> list[str]:
    probes = [data[n : n + 64] for n in range(1000, len(data) - 64, len(data) // 8)]
    return [p.name for p in folder.rglob("*") if p.is_file() and any(x in p.read_bytes() for x in probes)]


def test_the_upload_is_sealed_assessed_and_deleted(
    browser: object, site: tuple[str, Path, dict[str, str]]
) -> None:
    base, folder, token = site
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(base_url=base, viewport=PHONE, is_mobile=True)  # type: ignore[attr-defined]
    page = context.new_page()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto("/remove")
    assert not page.locator("#remove-upload").is_checked()  # the fingerprints stay the default
    page.locator("#remove-upload-choice summary").click()
    page.locator("#remove-upload").check()
    assert page.get_by_role("button", name="Send my picture to be checked").is_visible()
    page.screenshot(path=str(ARTIFACTS / "05-upload-choice-phone.png"), full_page=True)
    page.locator("#remove-files").set_input_files([str(PHOTO)])
    page.get_by_role("button", name="Send my picture to be checked").click()
    page.locator("#remove-done").wait_for(state="visible", timeout=60_000)
    assert "An analyst will check it" in page.locator("#remove-done-words").inner_text()
    reference = page.locator("#remove-reference").inner_text()
    secret = page.locator("#remove-secret").inner_text()
    page.screenshot(path=str(ARTIFACTS / "06-upload-sent-phone.png"), full_page=True)
    assert posts == [f"{base}/api/v1/remove-requests/upload?age_under_18=true"]
    assert context.cookies() == []  # type: ignore[attr-defined]

    # Sealed at once: nothing in the store, the vault or the temporary files reads as the photo.
    photo = PHOTO.read_bytes()
    assert _plaintext_in(folder, photo) == []
    assert any((folder / "hotline-captures").rglob("*"))

    rows = httpx.get(f"{base}/api/v1/remove-requests", headers=token, timeout=30).json()
    [row] = [r for r in rows if r["reference"] == reference]
    assert row["upload"] and row["assessment"] == "waiting" and row["picture"] == "sealed"
    got = httpx.post(
        f"{base}/api/v1/reports/{row['hotline_report']}/assessment",
        json={"outcome": "not_criminal"},
        headers=token,
        timeout=30,
    )
    assert got.status_code == 200, got.text
    assert not [p for p in (folder / "hotline-captures").rglob("*") if p.is_file()]

    page.goto("/remove/status")
    page.get_by_label("Your reference").fill(reference)
    page.get_by_label("Your secret code").fill(secret)
    with page.expect_navigation():
        page.get_by_role("button", name="Check").click()
    words = page.locator("#remove-status").inner_text()
    assert "could not confirm" in words and "Your picture has been deleted." in words
    page.screenshot(path=str(ARTIFACTS / "07-upload-assessed-phone.png"), full_page=True)
    (ARTIFACTS / "upload-flow.json").write_text(json.dumps({"posts": len(posts), "bytes": len(photo)}))
    context.close()
