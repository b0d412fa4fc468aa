"""Remove my image in a real headless Chromium at phone width: the page hashes the reference photos on the
device, sends only the hashes, and the self-reported set then matches the photo. The JavaScript PDQ is
compared with netsafe's own full-resolution PDQ (browser JPEG decoders differ by a few bits)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from netsafe.accounts.roles import Permission
from netsafe.hashing.engine import hash_bytes
from netsafe.hashing.options import HashOptions
from netsafe.signals.codecs import hamming_hex
from web.test_browser import ARGS, CHROMIUM, browser
from web.test_serve import _bearer, serving

__all__ = ["ARGS", "CHROMIUM", "browser"]

pytestmark = pytest.mark.slow
REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference" / "pdq"
PHOTOS = [*sorted((REFERENCE / "bridge-mods").glob("*.jpg")), REFERENCE / "misc" / "c.png"]
ORIGINAL = REFERENCE / "bridge-mods" / "aaa-orig.jpg"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "remove"
PHONE = {"width": 390, "height": 844}
# Full-resolution decodes by two JPEG decoders (libjpeg-turbo in Pillow, Chromium's) differ slightly.
TOLERANCE = 8


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("remove-browser")
    url = f"sqlite:///{folder / 'netsafe.db'}"
    scratch = folder / "tmp"
    scratch.mkdir()
    with serving(url, env={"NETSAFE_INDEX_DIR": str(folder / "idx"), "TMPDIR": str(scratch)}) as (base, _):
        token = _bearer(url, "analyst", frozenset({Permission.MATCH}))
        yield base, folder, token


def _netsafe_pdq(path: Path) -> tuple[str, int]:
    record = hash_bytes(path.read_bytes(), path.name, HashOptions(pdq_mode="exact"))
    assert record.pdq is not None and record.pdq_quality is not None
    return record.pdq, record.pdq_quality


def test_the_page_hashes_on_the_device_and_sends_only_hashes(
    browser: object, site: tuple[str, Path, dict[str, str]]
) -> None:
    base, folder, token = site
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(base_url=base, viewport=PHONE, is_mobile=True)  # type: ignore[attr-defined]
    page = context.new_page()
    outside: list[str] = []
    sent: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
    page.on("request", lambda r: sent.append(r.post_data or "") if r.method == "POST" else None)
    page.goto("/remove")
    page.screenshot(path=str(ARTIFACTS / "01-remove-phone.png"), full_page=True)

    # Every reference photo hashed by the page's own code, nothing sent yet.
    page.locator("#remove-files").set_input_files([str(p) for p in PHOTOS])
    items = page.evaluate(
        "async () => { const out = []; for (const f of document.getElementById('remove-files').files)"
        " out.push(await NetsafeHashes.hashFile(f)); return out; }"
    )
    assert sent == []
    distances = {}
    expected = dict(
        line.split(",") for line in (REFERENCE / "expected.csv").read_text().split()[1:] if "," in line
    )
    to_meta = {}
    for path, item in zip(PHOTOS, items, strict=True):
        meta = expected.get(f"{path.parent.name}/{path.name}")
        if meta:
            to_meta[path.name] = hamming_hex(item["pdq"], meta)
        record = hash_bytes(path.read_bytes(), path.name, HashOptions())
        assert item["md5"] == record.digests["md5"] and item["sha256"] == record.digests["sha256"]
        ours, quality = _netsafe_pdq(path)
        distances[path.name] = hamming_hex(item["pdq"], ours)
        assert abs(item["pdq_quality"] - quality) <= 5, (path.name, item["pdq_quality"], quality)
    figures = {"to_netsafe_exact": distances, "to_meta_reference": to_meta}
    (ARTIFACTS / "pdq-distances.json").write_text(json.dumps(figures, indent=1))
    # Meta's reference shrinks a picture before hashing: README.md allows 10 bits at quality 80 or more.
    assert max(to_meta.values()) <= 10, to_meta
    assert max(distances.values()) <= TOLERANCE, distances
    by_name = {p.name: i for p, i in zip(PHOTOS, items, strict=True)}
    original = by_name["aaa-orig.jpg"]["pdq"]
    for name, item in by_name.items():
        if name != "c.png":
            assert hamming_hex(item["pdq"], original) <= 31, name

    # Send the original alone.
    page.locator("#remove-files").set_input_files([str(ORIGINAL)])
    page.get_by_role("button", name="Send the fingerprints").click()
    page.locator("#remove-done").wait_for(state="visible", timeout=60_000)
    reference = page.locator("#remove-reference").inner_text()
    secret = page.locator("#remove-secret").inner_text()
    page.screenshot(path=str(ARTIFACTS / "02-remove-sent-phone.png"), full_page=True)
    assert len(sent) == 1
    body = json.loads(sent[0])
    assert set(body) == {"items", "age_under_18"} and len(sent[0]) < 400
    assert set(body["items"][0]) == {"md5", "sha256", "pdq", "pdq_quality"}
    assert outside == []
    assert context.cookies() == []  # type: ignore[attr-defined]

    # No image bytes in the store or the server's temporary files.
    photo = ORIGINAL.read_bytes()
    probes = [photo[n : n + 64] for n in range(1000, len(photo) - 64, len(photo) // 8)]
    for stored in [p for p in folder.rglob("*") if p.is_file()]:
        data = stored.read_bytes()
        assert not any(probe in data for probe in probes), stored.name

    # Platforms match the photo, and an edited copy of it, against the self-reported set.
    with ORIGINAL.open("rb") as fh:
        found = httpx.post(f"{base}/api/v1/match", files={"file": ("p.jpg", fh)}, headers=token, timeout=60)
    assert found.status_code == 200, found.text
    assert "self-reported" in {m["hashset"] for m in found.json()["matches"]}
    edited = REFERENCE / "bridge-mods" / "blur-a-little.jpg"
    with edited.open("rb") as fh:
        near = httpx.post(f"{base}/api/v1/match", files={"file": ("e.jpg", fh)}, headers=token, timeout=60)
    assert {(m["hashset"], m["signal"]) for m in near.json()["matches"]} == {("self-reported", "pdq")}

    # The status page with the secret; then the young person takes the fingerprints back.
    page.goto("/remove/status")
    page.get_by_label("Your reference").fill(reference)
    page.get_by_label("Your secret code").fill(secret)
    with page.expect_navigation():
        page.get_by_role("button", name="Check").click()
    assert "we have your fingerprints" in page.locator("#remove-status").inner_text()
    page.screenshot(path=str(ARTIFACTS / "03-status-phone.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Take my fingerprints back").click()
    assert "took the fingerprints back" in page.locator("#remove-status").inner_text()
    page.screenshot(path=str(ARTIFACTS / "04-withdrawn-phone.png"), full_page=True)
    with ORIGINAL.open("rb") as fh:
        after = httpx.post(f"{base}/api/v1/match", files={"file": ("p.jpg", fh)}, headers=token, timeout=60)
    assert "self-reported" not in {m["hashset"] for m in after.json()["matches"]}
    context.close()
