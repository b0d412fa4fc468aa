"""The service: a request's hashes go into the self-reported set, a withdrawal takes them out, the secret
guards the status, and an analyst with the hotline permission verifies."""

from __future__ import annotations

import io

import pytest

from netsafe.audit.service import Actor
from netsafe.errors import Forbidden, InvalidInput
from netsafe.remove import service
from netsafe.remove.settings import RemoveSettings
from netsafe.services import accounts
from netsafe.services.hashsets import export_set, show_set
from netsafe.store.db import Database

MD5 = "0123456789abcdef0123456789abcdef"
SHA = "ab" * 32
PDQ = "f" * 16 + "0" * 48
CLI = Actor("cli:test")


def _item(n: int = 0, **kw: object) -> service.NewItem:
    base: dict[str, object] = {
        "md5": f"{n:032x}" if n else MD5,
        "sha256": f"{n:064x}" if n else SHA,
        "pdq": PDQ,
        "pdq_quality": 90,
    }
    base.update(kw)
    return service.NewItem(**base)  # type: ignore[arg-type]


def _export(db: Database, name: str = "self-reported", form: str = "csv") -> str:
    out = io.StringIO()
    export_set(db, CLI, name, out, form)
    return out.getvalue()


def test_hashes_go_into_the_set_with_the_reference_only(sdb: Database) -> None:
    got = service.submit(sdb, RemoveSettings(), [_item(), _item(2)], age_under_18=True)
    assert got.shared and got.status == "received"
    text = _export(sdb)
    assert SHA in text and PDQ in text and f"{got.reference}/1" in text
    assert got.secret not in text
    details = show_set(sdb, "self-reported")
    assert details.info.entry_count == 2
    assert details.info.kind == "self-reported"


def test_withdrawal_takes_the_hashes_out_of_the_next_export(sdb: Database) -> None:
    keep = service.submit(sdb, RemoveSettings(), [_item(7)], age_under_18=True)
    gone = service.submit(sdb, RemoveSettings(), [_item()], age_under_18=True)
    assert service.withdraw_own(sdb, gone.reference, "WRONG-WRONG-WRON") is None
    assert SHA in _export(sdb)
    out = service.withdraw_own(sdb, gone.reference, gone.secret)
    assert out is not None and out["status"] == "withdrawn"
    text = _export(sdb)
    assert SHA not in text and f"{7:064x}" in text and keep.reference in text


@pytest.mark.parametrize(("form", "shown"), [("tx", PDQ), ("vics", SHA), ("csv", SHA)])
def test_platforms_formats_carry_the_hashes_until_withdrawn(sdb: Database, form: str, shown: str) -> None:
    got = service.submit(sdb, RemoveSettings(), [_item()], age_under_18=True)
    assert shown in _export(sdb, form=form).lower()
    service.withdraw(sdb, CLI, got.reference)
    assert shown not in _export(sdb, form=form).lower()


def test_the_same_photo_in_two_requests_stays_after_one_is_withdrawn(sdb: Database) -> None:
    first = service.submit(sdb, RemoveSettings(), [_item()], age_under_18=True)
    service.submit(sdb, RemoveSettings(), [_item()], age_under_18=True)
    service.withdraw(sdb, CLI, first.reference)
    assert SHA in _export(sdb)


def test_a_wrong_secret_or_reference_shows_nothing(sdb: Database) -> None:
    got = service.submit(sdb, RemoveSettings(), [_item()], age_under_18=True)
    assert service.status(sdb, got.reference, got.secret.lower()) == {
        "reference": got.reference,
        "status": "received",
        "shared": True,
        "items": 1,
        "created": service.list_requests(sdb)[0]["created"],
        "upload": False,
        "assessment": None,
        "picture": None,
    }
    assert service.status(sdb, got.reference, "AAAA-AAAA-AAAA") is None
    assert service.status(sdb, "RM-NOTHERE", got.secret) is None


def test_report_remove_way_shares_only_when_verified(sdb: Database) -> None:
    settings = RemoveSettings(share_unverified=False)
    got = service.submit(sdb, settings, [_item()], age_under_18=True)
    assert not got.shared
    assert SHA not in _export(sdb)
    with db_user(sdb, "cur", "curator"), pytest.raises(Forbidden, match="hotline permission"):
        service.verify(sdb, CLI, got.reference, user="cur")
    with db_user(sdb, "ana", "analyst"):
        out = service.verify(sdb, CLI, got.reference, user="ana")
    assert out["status"] == "verified" and out["verified_by"] == "user:ana" and out["shared"]
    assert SHA in _export(sdb)
    assert [r["reference"] for r in service.list_requests(sdb, "verified")] == [got.reference]


def test_a_low_quality_pdq_is_kept_but_not_shared(sdb: Database) -> None:
    service.submit(sdb, RemoveSettings(), [_item(pdq_quality=10)], age_under_18=True)
    text = _export(sdb)
    assert SHA in text and PDQ not in text


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (service.NewItem(pdq=PDQ, pdq_quality=80, where="items[0]"), "items[0]: give md5 or sha256"),
        (service.NewItem(md5="xyz", where="items[1]"), "items[1].md5:"),
        (service.NewItem(md5=MD5, pdq=PDQ, where="items[0]"), "pdq and pdq_quality together"),
        (service.NewItem(md5=MD5, pdq=PDQ, pdq_quality=101), "from 0 to 100"),
    ],
)
def test_bad_items_are_refused_and_nothing_is_stored(
    sdb: Database, item: service.NewItem, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace("]", r"\]")):
        service.submit(sdb, RemoveSettings(), [item], age_under_18=True)
    assert service.list_requests(sdb) == []


class db_user:  # noqa: N801 - reads as a with-statement
    def __init__(self, db: Database, name: str, role: str) -> None:
        self.db, self.name, self.role = db, name, role

    def __enter__(self) -> None:
        with self.db.session() as session:
            if accounts.get_user(session, self.name) is None:
                accounts.add_user(session, CLI, self.name, self.role, "long-enough-password")

    def __exit__(self, *exc: object) -> None:
        return None
