"""``netsafe demo``: the README's first command: hash a few benign pictures and a video, generated here."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer
from platformdirs import user_data_path

from netsafe.cli.hash_cmd import hash_command
from netsafe.signals.defaults import DEFAULT_MAX_PIXELS


def demo_command(
    folder: Path | None = typer.Argument(
        None, help="Folder to hash instead (e.g. reference photos of your own). Default: generated samples."
    ),
) -> None:
    """Hash generated benign samples (synthetic photos and a short video), or FOLDER: a table of signals.

    The samples are made by netsafe itself, so a fresh install or clone needs nothing beside it."""
    from netsafe.samples import write_samples

    if folder is not None:
        _hash(folder)
        return
    target = user_data_path("netsafe") / "samples"
    try:
        write_samples(target)
    except OSError:  # no writable data folder (a read-only home): samples for this run only
        with tempfile.TemporaryDirectory(prefix="netsafe-samples-") as tmp:
            write_samples(Path(tmp))
            typer.echo("hashing generated samples", err=True)
            _hash(Path(tmp))
        return
    typer.echo(f"hashing generated samples in {target}", err=True)
    _hash(target)


def _hash(target: Path) -> None:
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
