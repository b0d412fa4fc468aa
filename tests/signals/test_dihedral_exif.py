"""Dihedral variants line up with real rotations/flips; EXIF orientation is ignored (documented choice)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from netsafe.signals.codecs import hamming_hex
from netsafe.signals.pdq import DIHEDRAL_NAMES, pdq_from_rgb, pdq_from_source

Array = npt.NDArray[np.uint8]
OPS: dict[str, Callable[[Array], Array]] = {
    "original": lambda a: a,
    "rotate90": lambda a: np.rot90(a, 1),
    "rotate180": lambda a: np.rot90(a, 2),
    "rotate270": lambda a: np.rot90(a, 3),
    "flip_x": lambda a: a[::-1],
    "flip_y": lambda a: a[:, ::-1],
    "flip_plus1": lambda a: np.transpose(a, (1, 0, 2)),
    "flip_minus1": lambda a: np.transpose(np.rot90(a, 2), (1, 0, 2)),
}


@pytest.fixture(scope="module")
def bridge(reference: Path) -> Array:
    with Image.open(reference / "pdq" / "bridge-mods" / "aaa-orig.jpg") as im:
        return np.asarray(im.convert("RGB"))


def test_dihedral_names_cover_the_eight_transforms() -> None:
    assert tuple(OPS) == DIHEDRAL_NAMES


def test_each_dihedral_variant_is_the_hash_of_that_transform(bridge: Array) -> None:
    variants = pdq_from_rgb(bridge, dihedral=True).dihedral
    assert variants is not None and len(variants) == 8
    for name, variant in zip(DIHEDRAL_NAMES, variants, strict=True):
        transformed = pdq_from_rgb(np.ascontiguousarray(OPS[name](bridge))).hash
        assert hamming_hex(variant, transformed) == 0, name
        others = [
            hamming_hex(v, transformed) for n, v in zip(DIHEDRAL_NAMES, variants, strict=True) if n != name
        ]
        assert min(others) > 31, name


def test_rotated_copy_is_found_only_through_dihedral(bridge: Array) -> None:
    rotated = pdq_from_rgb(np.ascontiguousarray(np.rot90(bridge, 3))).hash
    plain = pdq_from_rgb(bridge)
    assert hamming_hex(plain.hash, rotated) > 31
    variants = pdq_from_rgb(bridge, dihedral=True).dihedral
    assert variants is not None
    assert min(hamming_hex(v, rotated) for v in variants) <= 31


def test_first_dihedral_variant_is_the_plain_hash(reference: Path) -> None:
    path = str(reference / "pdq" / "bridge-mods" / "aaa-orig.jpg")
    for mode in ("fast", "exact"):
        with_variants = pdq_from_source(path, mode, dihedral=True)  # type: ignore[arg-type]
        assert with_variants.hash == pdq_from_source(path, mode).hash  # type: ignore[arg-type]


def test_exif_orientation_is_ignored(bridge: Array) -> None:
    im = Image.fromarray(bridge)
    plain, tagged = io.BytesIO(), io.BytesIO()
    im.save(plain, format="JPEG", quality=95)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    im.save(tagged, format="JPEG", quality=95, exif=exif.tobytes())
    for mode in ("fast", "exact"):
        a = pdq_from_source(plain.getvalue(), mode)  # type: ignore[arg-type]
        b = pdq_from_source(tagged.getvalue(), mode, dihedral=True)  # type: ignore[arg-type]
        assert a.hash == b.hash, "stored pixels are hashed, as the reference does"
        # The displayed (rotated) picture is still found through the dihedral variants.
        displayed = pdq_from_rgb(np.ascontiguousarray(np.rot90(bridge, 3))).hash
        assert b.dihedral is not None
        assert min(hamming_hex(v, displayed) for v in b.dihedral) <= 31
