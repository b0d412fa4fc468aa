"""manifest.txt: the SHA-256 of every report file, in ``sha256sum`` format (``sha256sum -c manifest.txt``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

MANIFEST = "manifest.txt"


def write_manifest(out_dir: Path, names: list[str]) -> None:
    lines = []
    for name in names:
        digest = hashlib.sha256((out_dir / name).read_bytes()).hexdigest()
        lines.append(f"{digest}  {name}\n")
    (out_dir / MANIFEST).write_text("".join(lines), encoding="utf-8")


def verify_manifest(out_dir: Path) -> list[str]:
    """Names whose content no longer matches the manifest (empty when the report is intact)."""
    bad: list[str] = []
    for line in (out_dir / MANIFEST).read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        path = out_dir / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            bad.append(name)
    return bad
