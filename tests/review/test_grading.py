"""Grading: votes into the local graded set, consensus, trusted grades, settle, undo, ignore."""

from __future__ import annotations

import pytest

from netsafe.errors import Conflict, Forbidden, InvalidInput, NotFound
from netsafe.hashsets.profiles import ProfileError
from netsafe.review import grading, queue
from netsafe.services.hashsets import show_set
from netsafe.store import repositories as repo

from .conftest import ACTOR, SETTINGS, Case, md5, sha256


def _groups(case: Case) -> list[queue.GroupView]:
    return queue.list_groups(case.db, ACTOR, case.scan_id, SETTINGS).groups


def _pair_group(case: Case, n: int = 0) -> queue.GroupView:
    original = sha256(case.evidence.pairs[n][0])
    [group] = [g for g in _groups(case) if original in {i.sha256 for i in g.items}]
    return group


def _entry_category(case: Case, data: bytes) -> str | None:
    with case.db.session() as session:
        local = repo.get_set(session, SETTINGS.local_hashset)
        [(entry_id, _, _)] = repo.find_exact(session, "sha256", [sha256(data)], [local.id])
        return repo.get_entry(session, entry_id)[1].category


def test_grading_a_group_puts_every_item_in_the_local_set(case: Case) -> None:
    group = _pair_group(case)
    result = grading.grade(case.db, ACTOR, SETTINGS, user="ana", category="B", group_id=group.group)
    assert (result.category, result.added, len(result.items), result.trusted) == ("B", 2, 2, 0)
    details = show_set(case.db, SETTINGS.local_hashset)
    assert details.info.entry_count == 2
    assert details.signals["md5"] == details.signals["pdq"] == 2
    original, resized = case.evidence.pairs[0]
    assert _entry_category(case, original) == _entry_category(case, resized) == "B"
    after = _pair_group(case)
    assert {i.state for i in after.items} == {"graded"} and after.category == "B"


def test_three_agreeing_graders_make_a_trusted_grade_only_a_senior_changes(case: Case) -> None:
    group = _pair_group(case).group
    for user in ("ana", "bob"):
        assert grading.grade(case.db, ACTOR, SETTINGS, user=user, category="A", group_id=group).trusted == 0
    assert grading.grade(case.db, ACTOR, SETTINGS, user="cat", category="a", group_id=group).trusted == 2
    with pytest.raises(Conflict, match="trusted grade A"):
        grading.grade(case.db, ACTOR, SETTINGS, user="ana", category="C", group_id=group)
    item = _pair_group(case).items[0].item
    with pytest.raises(Forbidden, match="review:settle"):
        grading.settle(case.db, ACTOR, SETTINGS, user="bob", item_id=item, category="C", reason="x")
    with pytest.raises(InvalidInput, match="reason"):
        grading.settle(case.db, ACTOR, SETTINGS, user="sen", item_id=item, category="C", reason="  ")
    settled = grading.settle(
        case.db, ACTOR, SETTINGS, user="sen", item_id=item, category="C", reason="re-examined at full size"
    )
    assert (settled.previous, settled.category) == ("A", "C")
    assert _entry_category(case, case.evidence.pairs[0][0]) == "C"


def test_disagreement_is_listed_for_a_senior_and_settled(case: Case) -> None:
    group = _pair_group(case, 1)
    grading.grade(case.db, ACTOR, SETTINGS, user="ana", category="A", group_id=group.group)
    grading.grade(case.db, ACTOR, SETTINGS, user="bob", category="C", group_id=group.group)
    # Until agreed, an entry carries the most severe grade voted: never graded lighter than seen.
    assert _entry_category(case, case.evidence.pairs[1][0]) == "A"
    with pytest.raises(Forbidden):
        grading.disputes(case.db, SETTINGS, user="ana")
    found = grading.disputes(case.db, SETTINGS, user="sen")
    assert {d.sha256 for d in found} == {i.sha256 for i in group.items}
    assert {v["grader"] for v in found[0].votes} == {"ana", "bob"}
    grading.settle(
        case.db, ACTOR, SETTINGS, user="sen", item_id=group.items[0].item, category="B", reason="agreed"
    )
    assert len(grading.disputes(case.db, SETTINGS, user="sen")) == 1


def test_undo_takes_back_the_last_action_and_its_new_entries(case: Case) -> None:
    group = _pair_group(case, 2)
    grading.grade(case.db, ACTOR, SETTINGS, user="ana", category="C", group_id=group.group)
    undone = grading.undo_last(case.db, ACTOR, SETTINGS, user="ana", scan_id=case.scan_id)
    assert (undone.action, len(undone.items), undone.removed_entries) == ("grade", 2, 2)
    assert show_set(case.db, SETTINGS.local_hashset).info.entry_count == 0
    assert {i.state for i in _pair_group(case, 2).items} == {"open"}
    with pytest.raises(Conflict, match="nothing to undo"):
        grading.undo_last(case.db, ACTOR, SETTINGS, user="ana", scan_id=case.scan_id)


def test_undo_keeps_an_entry_someone_else_voted_on(case: Case) -> None:
    group = _pair_group(case, 2)
    grading.grade(case.db, ACTOR, SETTINGS, user="ana", category="C", group_id=group.group)
    grading.grade(case.db, ACTOR, SETTINGS, user="bob", category="B", group_id=group.group)
    grading.undo_last(case.db, ACTOR, SETTINGS, user="ana", scan_id=case.scan_id)
    assert show_set(case.db, SETTINGS.local_hashset).info.entry_count == 2
    assert _entry_category(case, case.evidence.pairs[2][0]) == "B"


def test_ignore_leaves_the_local_set_alone(case: Case) -> None:
    group = _pair_group(case)
    result = grading.ignore(case.db, ACTOR, SETTINGS, user="ana", group_id=group.group)
    assert result.action == "ignore" and result.category is None
    assert {i.state for i in _pair_group(case).items} == {"ignored"}
    with case.db.session() as session:
        assert repo.find_set(session, SETTINGS.local_hashset) is None


def test_refusals(case: Case) -> None:
    group = _pair_group(case).group
    with pytest.raises(ProfileError, match="not a category of profile uk-caid"):
        grading.grade(case.db, ACTOR, SETTINGS, user="ana", category="Z", group_id=group)
    with pytest.raises(NotFound, match="no user named"):
        grading.grade(case.db, ACTOR, SETTINGS, user="nobody", category="A", group_id=group)
    with pytest.raises(Forbidden, match="lacks the 'review' permission"):
        grading.grade(case.db, ACTOR, SETTINGS, user="aud", category="A", group_id=group)
    with pytest.raises(NotFound, match="no review group"):
        grading.grade(case.db, ACTOR, SETTINGS, user="ana", category="A", group_id=10_000)
    with pytest.raises(InvalidInput, match="not both"):
        grading.grade(case.db, ACTOR, SETTINGS, user="ana", category="A")


def test_undo_takes_back_a_whole_import(case: Case) -> None:
    singles = case.evidence.singles
    text = f"sha256,category\n{sha256(singles[0])},A\n{sha256(singles[1])},C\n"
    result = grading.import_grades(case.db, ACTOR, SETTINGS, user="ana", scan_id=case.scan_id, data=text)
    assert (result.items, result.by_category, result.added) == (2, {"A": 1, "C": 1}, 2)
    undone = grading.undo_last(case.db, ACTOR, SETTINGS, user="ana", scan_id=case.scan_id)
    assert (len(undone.items), undone.removed_entries) == (2, 2)
    assert show_set(case.db, SETTINGS.local_hashset).info.entry_count == 0


def test_import_refuses_a_hash_not_in_the_queue_and_grades_nothing(case: Case) -> None:
    text = f"sha256,category\n{sha256(case.evidence.singles[0])},A\n{sha256(case.evidence.known)},A\n"
    with pytest.raises(InvalidInput, match=r"^grades.csv:3: field sha256: no review item of scan"):
        grading.import_grades(case.db, ACTOR, SETTINGS, user="ana", scan_id=case.scan_id, data=text)
    with pytest.raises(InvalidInput, match=r"^grades.csv:2: field category: 'Q' is not a category"):
        grading.import_grades(
            case.db,
            ACTOR,
            SETTINGS,
            user="ana",
            scan_id=case.scan_id,
            data=f"md5,category\n{md5(case.evidence.singles[0])},Q\n",
        )
    with case.db.session() as session:
        assert repo.find_set(session, SETTINGS.local_hashset) is None or not repo.entry_count(
            session, repo.get_set(session, SETTINGS.local_hashset).id
        )
