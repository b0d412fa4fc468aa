"""The robustness set: edited copies of benign photos are found, different photos never match.

Photos come from the shared reference set and from scikit-image's bundled data (shipped in the wheel).
Fast mode must find exactly the copies exact mode finds (the issue's acceptance criterion).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageOps

from netsafe.samples import synthetic_photo
from netsafe.signals.codecs import hamming_hex
from netsafe.signals.pdq import PdqHash, pdq_from_source

skimage_data = pytest.importorskip("skimage.data")

SKIMAGE_PHOTOS = (
    "astronaut",
    "camera",
    "chelsea",
    "coffee",
    "rocket",
    "immunohistochemistry",
    "hubble_deep_field",
    "coins",
    "moon",
    "retina",
    "clock",
    "cell",
)

Edit = Callable[[Image.Image], Image.Image]


def _watermark(im: Image.Image) -> Image.Image:
    """A small semi-transparent caption box in the corner, as stock sites and apps stamp."""
    out = im.convert("RGBA")
    w, h = out.size
    layer = Image.new("RGBA", out.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    bw, bh = max(2, w // 10), max(2, h // 30)
    draw.rectangle((w - bw - 8, h - bh - 8, w - 8, h - 8), fill=(255, 255, 255, 110))
    return Image.alpha_composite(out, layer).convert("RGB")


def _crop(im: Image.Image) -> Image.Image:
    """Remove 5% of the area, evenly from all four edges."""
    w, h = im.size
    f = (1 - 0.95**0.5) / 2
    dx, dy = round(w * f), round(h * f)
    return im.crop((dx, dy, w - dx, h - dy))


EDITS: dict[str, tuple[Edit, bool]] = {
    # name: (edit, needs dihedral)
    "resized": (lambda im: im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS), False),
    "upscaled": (
        lambda im: im.resize((im.width * 3 // 2, im.height * 3 // 2), Image.Resampling.BICUBIC),
        False,
    ),
    "jpeg50": (lambda im: im, False),
    "cropped5": (_crop, False),
    "greyscale": (lambda im: ImageOps.grayscale(im).convert("RGB"), False),
    "watermark": (_watermark, False),
    "rotated90": (lambda im: im.transpose(Image.Transpose.ROTATE_90), True),
    "mirrored": (ImageOps.mirror, True),
}


def _photos(reference: Path) -> dict[str, Image.Image]:
    photos: dict[str, Image.Image] = {}
    for rel in ("bridge-mods/aaa-orig.jpg", "misc/c.png", "misc/wee.jpg"):
        with Image.open(reference / "pdq" / rel) as im:
            photos[rel] = im.convert("RGB")
    for name in SKIMAGE_PHOTOS:
        array = getattr(skimage_data, name)()
        im = Image.fromarray(array)
        photos[name] = im.convert("RGB")
    for seed in range(3):
        photos[f"synthetic-{seed}"] = synthetic_photo(seed, 1024, 768)
    return photos


def _jpeg(im: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


@pytest.fixture(scope="module")
def corpus(reference: Path) -> dict[str, dict[str, bytes]]:
    out: dict[str, dict[str, bytes]] = {}
    for name, im in _photos(reference).items():
        versions = {"original": _jpeg(im, 95)}
        for edit_name, (edit, _) in EDITS.items():
            versions[edit_name] = _jpeg(edit(im), 50 if edit_name == "jpeg50" else 90)
        out[name] = versions
    return out


def _hashes(corpus: dict[str, dict[str, bytes]], mode: str) -> dict[tuple[str, str], PdqHash]:
    return {
        (photo, version): pdq_from_source(data, mode, dihedral=version == "original")  # type: ignore[arg-type]
        for photo, versions in corpus.items()
        for version, data in versions.items()
    }


@pytest.fixture(scope="module")
def hashes(corpus: dict[str, dict[str, bytes]]) -> dict[str, dict[tuple[str, str], PdqHash]]:
    return {mode: _hashes(corpus, mode) for mode in ("fast", "exact")}


def _distance(original: PdqHash, copy: PdqHash, dihedral: bool) -> int:
    if not dihedral:
        return hamming_hex(original.hash, copy.hash)
    assert original.dihedral is not None
    return min(hamming_hex(v, copy.hash) for v in original.dihedral)


def _found(hashes: dict[tuple[str, str], PdqHash], photos: list[str]) -> set[tuple[str, str]]:
    found = set()
    for photo in photos:
        original = hashes[photo, "original"]
        for edit_name, (_, dihedral) in EDITS.items():
            if _distance(original, hashes[photo, edit_name], dihedral) <= 31:
                found.add((photo, edit_name))
    return found


def test_fast_finds_the_same_copies_as_exact(
    corpus: dict[str, dict[str, bytes]], hashes: dict[str, dict[tuple[str, str], PdqHash]]
) -> None:
    photos = sorted(corpus)
    sizes = {p: Image.open(io.BytesIO(corpus[p]["original"])).size for p in photos}
    exact, fast = hashes["exact"], hashes["fast"]
    # Photos PDQ can work with: quality >= 50, big enough that halving leaves a picture (wee.jpg: 34x42).
    usable = [p for p in photos if exact[p, "original"].quality >= 50 and min(sizes[p]) >= 64]
    assert len(usable) >= 15
    found_exact = _found(exact, usable)
    found_fast = _found(fast, usable)
    assert found_fast == found_exact
    # The edits PDQ is built to survive are found for every photo, not merely "the same failures in both
    # modes". Crops and overlays move PDQ by 15-35 bits: they must agree between modes (above), and most
    # are found, but PDQ itself misses some (a known property of PDQ, documented in docs/hashing.md).
    robust = {(p, e) for p in usable for e in EDITS if e not in ("cropped5", "watermark")}
    assert robust <= found_exact, sorted(robust - found_exact)
    fragile = {(p, e) for p in usable for e in ("cropped5", "watermark")}
    assert len(fragile & found_exact) >= 0.8 * len(fragile)


@pytest.mark.parametrize("mode", ["fast", "exact"])
def test_different_photos_never_match(
    corpus: dict[str, dict[str, bytes]], hashes: dict[str, dict[tuple[str, str], PdqHash]], mode: str
) -> None:
    by_mode = hashes[mode]
    photos = [p for p in sorted(corpus) if by_mode[p, "original"].quality >= 50]
    for a, b in itertools.combinations(photos, 2):
        original = by_mode[a, "original"]
        assert original.dihedral is not None
        for version in corpus[b]:
            other = by_mode[b, version]
            closest = min(hamming_hex(v, other.hash) for v in original.dihedral)
            assert closest > 31, f"{a} matches {b}/{version} at {closest} ({mode})"
