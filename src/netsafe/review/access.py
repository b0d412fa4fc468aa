"""Who may review, and the scan a review belongs to: the checks every review operation starts with.

The grader is a user of the service, whichever door: the API's signed-in user or token owner, the command
line's ``--user NAME``. Their role is read in the operation's own transaction, so a door cannot grant more
than the role does (a demoted user is refused at once).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from netsafe.accounts.roles import ROLE_PERMISSIONS, Permission, Role
from netsafe.errors import Conflict, Forbidden, NotFound
from netsafe.services.accounts import get_user
from netsafe.textsafe import readable
from netsafe.triage.models import ScanRow


class NoSuchUserError(NotFound):
    pass


class NotAllowedError(Forbidden):
    pass


class NoSuchScanError(NotFound):
    pass


class ScanRunningError(Conflict):
    pass


@dataclass(frozen=True, slots=True)
class Reviewer:
    name: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


def reviewer(session: Session, name: str | None, need: Permission = Permission.REVIEW) -> Reviewer:
    """The enabled user ``name`` whose role grants ``need``; NotFound or Forbidden otherwise."""
    if not name:
        raise NotAllowedError("review needs a user: sign in as one, use a token of one, or give --user NAME")
    user = get_user(session, name)
    if user is None:
        raise NoSuchUserError(f"no user named {readable(name)[:100]!r} (see `netsafe user list`)")
    if user.disabled:
        raise NotAllowedError(f"user {user.name!r} is disabled")
    who = Reviewer(user.name, Role(user.role))
    if not who.can(need):
        raise NotAllowedError(
            f"user {user.name!r} (role {who.role.value}) lacks the {need.value!r} permission"
        )
    return who


def get_scan(session: Session, scan_id: int) -> ScanRow:
    scan = session.get(ScanRow, scan_id)
    if scan is None:
        raise NoSuchScanError(f"no scan with id {scan_id} (see `netsafe review scans` or /scans)")
    return scan


def finished_scan(session: Session, scan_id: int) -> ScanRow:
    scan = get_scan(session, scan_id)
    if scan.status != "finished":
        raise ScanRunningError(f"scan {scan_id} has not finished: review it once it has")
    return scan
