"""The progress of a cluster scan: one line per worker beside the summed line."""

from __future__ import annotations

from netsafe.triage.progress import ScanProgress, _Counts


class _Done:
    def __init__(self, tasks: int, files: int, nbytes: int, seconds: float) -> None:
        self.tasks, self.files, self.bytes, self.seconds = tasks, files, nbytes, seconds


def test_one_line_per_worker_with_its_rates() -> None:
    progress = ScanProgress([], enabled=False)
    progress.update_worker("tcp://10.1.0.7:40111", _Done(1, 100, 50_000_000, 2.0))
    progress.update_worker("tcp://10.1.0.8:40222", _Done(1, 10, 1_000_000, 1.0))
    progress.update_worker("tcp://10.1.0.7:40111", _Done(2, 300, 150_000_000, 4.0))
    tasks = progress._progress.tasks
    assert [t.description for t in tasks] == ["scanning", "  tcp://10.1.0.7:40111", "  tcp://10.1.0.8:40222"]
    line = _Counts().render(tasks[1]).plain
    assert line == "2 batches  300 files  150.0 MB  75.0 files/s  37.5 MB/s"
