"""``netsafe scan SOURCE... --out DIR``: triage seized media against hash sets and write the case report."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from typer.core import TyperGroup

from netsafe.cli.errors import EXIT_FAILURES, EXIT_INTERRUPTED, EXIT_USAGE, fail, handled
from netsafe.hashing.options import ALL_SIGNALS, OptionError, parse_signals
from netsafe.signals.types import REGISTRY
from netsafe.textsafe import is_exact_utf8, readable

if TYPE_CHECKING:
    from netsafe.triage.cluster import ClusterSpec


class _ScanGroup(TyperGroup):
    """``netsafe scan SOURCE... --out DIR`` runs a scan, as it always has; ``netsafe scan report SCAN_ID``
    (a sub-command) writes a scan's report again. Anything that is not a sub-command's name is a scan's
    arguments (a source folder named ``report``: give it as ``./report``)."""

    default_command = "run"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own (vendored) click context
        if not args or args[0] not in self.commands:
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    name="scan",
    cls=_ScanGroup,
    help="Scan evidence (netsafe scan SOURCE... --out DIR), or write a scan's report again (scan report).",
    pretty_exceptions_enable=False,
)


def _error(message: str, code: int = EXIT_USAGE) -> NoReturn:
    fail(message, code, "netsafe scan")


_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str, option: str) -> int:
    """``"16G"`` -> bytes (K, M, G, T are powers of 1024; a trailing B or iB is allowed)."""
    clean = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = clean[-1:] if clean[-1:] in _UNITS else ""
    number = clean[: len(clean) - len(unit)] if unit else clean
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"{option}: not a size: {text!r} (e.g. 500M, 16G)") from None
    if value < 0:
        raise ValueError(f"{option}: must not be negative, got {text!r}")
    return int(value * _UNITS[unit])


@app.command("run")
def scan_command(
    sources: list[Path] = typer.Argument(
        ..., help="Folders, files, archives or disk images (raw, split, E01)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the report (created if missing)."),
    hashsets: list[str] | None = typer.Option(
        None, "--hashset", help="Match against this hash set (repeatable; default: every set in the store)."
    ),
    signals: str = typer.Option(
        ",".join(ALL_SIGNALS), "--signals", help="Signals to compute, comma-separated (SHA-256 always is)."
    ),
    workers: int = typer.Option(0, "--workers", min=0, help="Threads and processes (default: all cores)."),
    resume: bool = typer.Option(
        False, "--resume", help="Finish the interrupted scan whose report goes to --out."
    ),
    examiner: str | None = typer.Option(None, "--examiner", help="Name of the examiner, for the report."),
    case: str | None = typer.Option(None, "--case", help="Case reference, on every page of the report."),
    exhibit: str | None = typer.Option(
        None, "--exhibit", help="Exhibit reference of the evidence, on every page of the report."
    ),
    thumbnails: bool = typer.Option(
        False, "--thumbnails", help="Add blurred greyscale thumbnails of UNMATCHED images to report.html."
    ),
    max_distance: int = typer.Option(
        REGISTRY["pdq"].default_threshold,
        "--max-distance",
        min=0,
        max=REGISTRY["pdq"].max_threshold,
        help="PDQ match threshold in bits (0-64).",
    ),
    max_file_size: str = typer.Option(
        "16G", "--max-file-size", help="Skip (and report) files larger than this."
    ),
    max_depth: int = typer.Option(10, "--max-depth", min=0, help="Deepest nesting of archives/disk images."),
    max_expanded: str = typer.Option(
        "32G", "--max-expanded", help="Zip-bomb guard: bytes all layers of one archive may expand to."
    ),
    max_ratio: float = typer.Option(200.0, "--max-ratio", min=1.0, help="Zip-bomb guard: expansion ratio."),
    fs_stall: float = typer.Option(
        20.0,
        "--fs-stall",
        min=0.1,
        help="Seconds a disk image's file system may be read without listing anything (a damaged one can "
        "keep the reader busy for ever) before it is reported and skipped.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    cluster: str | None = typer.Option(
        None,
        "--cluster",
        help="Run on a Dask cluster: local:N (N worker processes here), or a scheduler's tcp://HOST:PORT "
        "or tls://HOST:PORT (workers see the evidence at the same paths; PostgreSQL store). docs/scale.md.",
    ),
    tls_ca_file: Path | None = typer.Option(
        None, "--tls-ca-file", help="With --cluster tls://: the PEM of the cluster's authority."
    ),
    tls_cert: Path | None = typer.Option(None, "--tls-cert", help="With tls://: this client's PEM."),
    tls_key: Path | None = typer.Option(None, "--tls-key", help="With --cluster tls://: its key's PEM."),
) -> None:
    """Scan evidence: hash every file (inside archives and disk images too), match it against hash sets,
    checkpoint in the store as it goes, and write report.json, report.csv, categories.csv, report.html,
    report.pdf, vics.json and manifest.txt into --out. (`netsafe scan report SCAN_ID --out DIR` writes them
    again later, with the grades made in review since.)

    Exit status: 0 report written (problems with the evidence are listed in it), 1 the scan could not
    finish (store error; run again with --resume), 2 usage error.
    """
    from netsafe.audit.service import Actor
    from netsafe.media.limits import Limits
    from netsafe.store.db import StoreError, open_database
    from netsafe.triage import service
    from netsafe.triage.cluster import check_store
    from netsafe.triage.pipeline import ScanConfig
    from netsafe.triage.progress import ScanProgress

    missing = [str(p) for p in sources if not os.path.lexists(p)]
    if missing:
        _error(f"no such file or folder: {', '.join(missing)}")
    try:
        wanted = parse_signals(signals)
    except OptionError as err:
        _error(f"--signals: {err}")
    try:
        limits = Limits(
            max_file_size=parse_size(max_file_size, "--max-file-size"),
            max_depth=max_depth,
            max_expanded_size=parse_size(max_expanded, "--max-expanded"),
            max_ratio=max_ratio,
            fs_stall_seconds=fs_stall,
        )
    except ValueError as err:
        _error(str(err))
    out_dir = out.resolve()
    if not is_exact_utf8(str(out_dir)):  # the store keeps it as text; the evidence is what may be odd
        _error(f"--out {readable(str(out))}: the folder's path is not valid UTF-8: choose another folder")
    if out_dir.exists() and not out_dir.is_dir():
        _error(f"--out {out}: exists and is not a folder")
    for src in sources:
        real = src.resolve()
        if real == out_dir or (out_dir.is_relative_to(real) and real.is_dir()):
            _error(f"--out {out} is inside the evidence {src}: write the report somewhere else")
    if (out_dir / "manifest.txt").exists() and not resume:
        _error(f"--out {out} holds a finished report already: choose another folder")
    spec = None
    if cluster is not None or tls_ca_file or tls_cert or tls_key:
        spec = _cluster_spec(cluster, tls_ca_file, tls_cert, tls_key)
    config = ScanConfig(
        sources=tuple(str(s) for s in sources),
        out_dir=str(out_dir),
        signals=wanted,
        hashsets=tuple(hashsets or ()),
        workers=workers,
        thumbnails=thumbnails,
        examiner=examiner,
        case=case,
        exhibit=exhibit,
        max_distance=max_distance,
        limits=limits,
    )
    try:
        db = open_database()
    except StoreError as err:
        _error(str(err), EXIT_FAILURES)
    try:
        progress = ScanProgress([str(s) for s in sources], enabled=None if not quiet else False)
        with handled("netsafe scan"), progress:
            if spec is not None:
                check_store(spec, db.backend)  # before any cluster starts
            try:
                outcome = service.scan(
                    db,
                    Actor.cli(),
                    config,
                    resume=resume,
                    hook=progress.update,
                    cluster=spec,
                    worker_hook=progress.update_worker,
                )
            except service.ScanInterruptedError as err:
                _error(str(err), EXIT_INTERRUPTED)
    except KeyboardInterrupt:  # before the scan started or while its outcome was printed: nothing to resume
        _error("interrupted before the scan started: nothing was stored", EXIT_INTERRUPTED)
    finally:
        db.dispose()
    s = outcome.summary
    typer.echo(
        f"{s['files']} files ({s['bytes']} bytes), {s['items']} distinct, {s['matched_items']} matched, "
        f"{s['errors']} errors; report in {out_dir}",
        err=True,
    )


def _cluster_spec(cluster: str | None, ca: Path | None, cert: Path | None, key: Path | None) -> ClusterSpec:
    from netsafe.triage.cluster import ClusterError, TlsFiles, parse_cluster

    if cluster is None:
        _error("--tls-ca-file, --tls-cert and --tls-key go with --cluster tls://HOST:PORT")
    given = [p for p in (ca, cert, key) if p is not None]
    if given and len(given) != 3:
        _error("--cluster tls://...: give all three of --tls-ca-file, --tls-cert and --tls-key")
    tls = TlsFiles(ca, cert, key) if ca and cert and key else None
    try:
        return parse_cluster(cluster, tls)
    except ClusterError as err:
        _error(str(err))


@app.command("report")
def report_command(
    scan_id: int = typer.Argument(..., min=1, help="The scan's id (netsafe review scans, or /scans)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the report files (created if missing)."),
    json_out: bool = typer.Option(False, "--json", help="Print the report's summary as one JSON object."),
) -> None:
    """Write a scan's report files again from the store, with the grades made in review since: the counts
    by category then cover the known items and the newly graded ones, and vics.json carries the grades."""
    from netsafe.audit.service import Actor
    from netsafe.cli.common import emit_json
    from netsafe.cli.review_cmd import review_settings
    from netsafe.review import service as review
    from netsafe.store.db import open_database

    with handled("netsafe scan report"):
        settings = review_settings()
        db = open_database()
        try:
            data = review.regenerate(db, Actor.cli(), settings, scan_id, out)
        finally:
            db.dispose()
    summary = data.report["summary"]
    if json_out:
        emit_json(summary)
    else:
        typer.echo(
            f"scan {scan_id}: {summary['matched_items']} known, {summary.get('graded_items', 0)} graded "
            f"since; report in {out.resolve()}",
            err=True,
        )
