"""Every review operation, in one place for the doors (CLI, API, pages): each is one transaction doing the
check (the user's role, the scan, the input), the change and its audit event. The modules beside this one
hold them by concept; the doors import this module only."""

from __future__ import annotations

from netsafe.review.access import NoSuchScanError, NoSuchUserError, NotAllowedError, ScanRunningError
from netsafe.review.csvgrades import GradeLine, GradesFileError, read_grades
from netsafe.review.exposure import (
    Exposure,
    ExposureTotals,
    ReviewPrefs,
    exposure_totals,
    get_prefs,
    my_exposure,
    record_time,
    record_unblur,
    save_prefs,
)
from netsafe.review.grading import (
    Dispute,
    GradeResult,
    ImportResult,
    NothingToUndoError,
    SettleResult,
    TrustedGradeError,
    UndoResult,
    categories_of,
    disputes,
    grade,
    ignore,
    import_grades,
    settle,
    undo_last,
)
from netsafe.review.queue import (
    GroupPage,
    GroupView,
    ItemSource,
    ItemView,
    NoSuchGroupError,
    NoSuchItemError,
    QueueInfo,
    build_queue,
    group_in_scan,
    item_source,
    list_groups,
)
from netsafe.review.report import regenerate, report_file
from netsafe.review.scanlist import ScanSummary, list_scans, scan_summary
from netsafe.review.settings import ReviewSettings

__all__ = [
    "Dispute",
    "Exposure",
    "ExposureTotals",
    "GradeLine",
    "GradeResult",
    "GradesFileError",
    "GroupPage",
    "GroupView",
    "ImportResult",
    "ItemSource",
    "ItemView",
    "NoSuchGroupError",
    "NoSuchItemError",
    "NoSuchScanError",
    "NoSuchUserError",
    "NotAllowedError",
    "NothingToUndoError",
    "QueueInfo",
    "ReviewPrefs",
    "ReviewSettings",
    "ScanRunningError",
    "ScanSummary",
    "SettleResult",
    "TrustedGradeError",
    "UndoResult",
    "build_queue",
    "categories_of",
    "disputes",
    "exposure_totals",
    "get_prefs",
    "grade",
    "group_in_scan",
    "ignore",
    "import_grades",
    "item_source",
    "list_groups",
    "list_scans",
    "my_exposure",
    "read_grades",
    "record_time",
    "record_unblur",
    "regenerate",
    "report_file",
    "save_prefs",
    "scan_summary",
    "settle",
    "undo_last",
]
