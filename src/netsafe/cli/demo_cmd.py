"""``netsafe demo``: the README's first command until the service exists: hash the reference photos."""

from __future__ import annotations

from pathlib import Path

import typer
from platformdirs import user_data_path

from netsafe.cli.hash_cmd import hash_command
from netsafe.samples import write_samples
from netsafe.signals.imaging import DEFAULT_MAX_PIXELS

REFERENCE = Path("..") / "shared" / "reference"


def demo_command(
    folder: Path | None = typer.Argument(None, help="Folder to hash (default: ../shared/reference)."),
) -> None:
    """Hash the shared reference media, or generated samples when ../shared is absent."""
    target = folder or REFERENCE
    if folder is None and not target.is_dir():
        target = user_data_path("netsafe") / "samples"
        write_samples(target)
        typer.echo(f"../shared/reference not found: hashing generated samples in {target}", err=True)
    hash_command(
        paths=[target],
        json_out=False,
        csv_out=False,
        signals="md5,sha1,sha256,pdq,vpdq",
        exact=False,
        dihedral=False,
        workers=0,
        max_pixels=DEFAULT_MAX_PIXELS,
        vpdq_interval=1.0,
    )
