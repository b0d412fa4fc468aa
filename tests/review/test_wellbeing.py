"""Wellbeing: settings per user, exposure per user (own only), totals for an admin only; ignore lists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from netsafe.audit.models import AuditEventRow
from netsafe.errors import Forbidden, InvalidInput
from netsafe.review import service
from netsafe.review.settings import ReviewSettings
from netsafe.services.hashsets import NewEntry, add_entries, create_set

from .conftest import ACTOR, SETTINGS, Case, run_scan_of, sha256


def test_settings_are_per_user_and_checked(case: Case) -> None:
    assert service.get_prefs(case.db, "ana") == service.ReviewPrefs(60, False, 160)
    service.save_prefs(case.db, ACTOR, "ana", blur=20, colour=True, size=256)
    assert service.get_prefs(case.db, "ana").as_dict() == {"blur": 20, "colour": True, "size": 256}
    assert service.get_prefs(case.db, "bob").blur == 60
    with pytest.raises(InvalidInput, match="blur: must be 0-100"):
        service.save_prefs(case.db, ACTOR, "ana", blur=101, colour=True, size=256)
    with pytest.raises(Forbidden):
        service.get_prefs(case.db, "aud")


def test_exposure_is_own_and_totals_are_for_admins(case: Case) -> None:
    item = service.list_groups(case.db, ACTOR, case.scan_id, SETTINGS).groups[0].items[0].item
    assert service.record_unblur(case.db, ACTOR, "ana", item) == 1
    assert service.record_unblur(case.db, ACTOR, "ana", item) == 2
    service.record_unblur(case.db, ACTOR, "bob", item)
    service.record_time(case.db, "ana", 240)
    service.record_time(case.db, "ana", 120)
    with pytest.raises(InvalidInput, match="seconds"):
        service.record_time(case.db, "ana", 301)
    reminder = ReviewSettings(break_reminder_minutes=5)
    mine = service.my_exposure(case.db, reminder, "ana")
    assert (mine.today_items, mine.today_minutes, mine.week_items, mine.break_due) == (2, 6.0, 2, True)
    assert service.my_exposure(case.db, reminder, "bob").today_items == 1
    with pytest.raises(Forbidden, match="'admin'"):
        service.exposure_totals(case.db, "sen")
    totals = service.exposure_totals(case.db, "adm").as_dict()
    assert totals == {"users": 2, "today": {"items": 3, "minutes": 6.0}, "week": {"items": 3, "minutes": 6.0}}
    assert "ana" not in str(totals)
    with case.db.session() as session:
        events = session.scalars(select(AuditEventRow).where(AuditEventRow.action == "review.unblur")).all()
        assert len(events) == 3
    later = datetime(2030, 1, 1, tzinfo=UTC).date()
    assert service.my_exposure(case.db, SETTINGS, "ana", later).week_items == 0


def test_ignore_list_matches_are_not_reviewed_or_counted(case: Case) -> None:
    create_set(case.db, ACTOR, "nsrl-like", "uk-caid", kind="ignore")
    benign = case.evidence.singles[1]
    add_entries(case.db, ACTOR, "nsrl-like", [NewEntry({"sha256": sha256(benign)})])
    scan2 = run_scan_of(case.db, case.evidence.folder, case.tmp / "report-ignore")
    page = service.list_groups(case.db, ACTOR, scan2, SETTINGS)
    assert sha256(benign) not in {i.sha256 for g in page.groups for i in g.items}
    summary = service.regenerate(case.db, ACTOR, SETTINGS, scan2, case.tmp / "again").report["summary"]
    assert summary["ignored_items"] == 1
    assert summary["matched_items"] == 1  # the known photo only
    assert summary["matches_by_hashset"]["nsrl-like"] == 1
    listed = service.scan_summary(case.db, SETTINGS, scan2)
    assert listed.matched_items == 1 and listed.by_category == {"Category A": 1}
