"""A decoder that kills its worker costs one item (an error line), never the scan or other items."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from netsafe.hashing.options import HashOptions
from netsafe.samples import synthetic_photo
from netsafe.triage.pool import CRASH_MESSAGE, DecodePool
from netsafe.triage.work import DecodeJob, decode

sys.path.insert(0, str(Path(__file__).parent))
from triage_crashing import crash_on_poison


def _png(seed: int) -> bytes:
    out = io.BytesIO()
    synthetic_photo(seed, 64, 48).save(out, "PNG")
    return out.getvalue()


def test_a_crashing_decoder_costs_one_item() -> None:
    options = HashOptions(signals=frozenset({"pdq"}))
    jobs = [
        DecodeJob(f"{'poison' if i == 3 else 'ok'}-{i}", None, _png(i), options, thumbnail=False)
        for i in range(8)
    ]
    pool = DecodePool(2, crash_on_poison)
    try:
        pending = [pool.submit(job) for job in jobs]
        results = [pool.result(p) for p in pending]
    finally:
        pool.close()
    assert results[3].record.error == CRASH_MESSAGE
    for i, got in enumerate(results):
        if i != 3:
            assert got.record.error is None
            assert got.record.pdq == decode(jobs[i]).record.pdq
