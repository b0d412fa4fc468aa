"""Roles of people and scopes of API tokens: one vocabulary of permissions for both.

A person's role grants a fixed set of permissions; a token carries scopes (permissions) chosen when it was
created, and is further limited to what its owner's role allows today (demoting a user demotes their tokens).
"""

from __future__ import annotations

from enum import StrEnum

from netsafe.errors import InvalidInput


class Permission(StrEnum):
    MATCH = "match"  # hash uploads and match them or signals against the hash sets
    HASHSETS_READ = "hashsets:read"  # list, show and export hash sets
    HASHSETS_WRITE = "hashsets:write"  # create, import into, add to, remove from, delete hash sets
    AUDIT_READ = "audit:read"  # read and export the audit log
    ADMIN = "admin"  # manage users and tokens
    REPORT = "report"  # submit URLs to the hotline (partners' tokens: police, other hotlines, platforms)
    HOTLINE = "hotline"  # work the hotline: see reports, capture, assess, trace, send notices
    HOTLINE_AUTHORISE = "hotline:authorise"  # approve notices that wait for authorisation
    SCANS = "scans"  # list triage scans and download their reports
    SCANS_RUN = "scans:run"  # start a scan on a server-side path under the configured evidence roots
    REVIEW = "review"  # see the review queue of unknown items and grade them
    REVIEW_SETTLE = "review:settle"  # settle disputed grades and change trusted ones, with a reason
    CASES = "cases"  # see and work cases: referrals, risk assessments, actions, operations
    DETERRENCE = "deterrence"  # check a URL or a search against the deterrence lists (platforms' tokens)
    DETERRENCE_MANAGE = "deterrence:manage"  # import and edit the URL and keyword lists, read the counts
    STATS = "stats"  # the statistics' internal view, before disclosure control (everyone else: published)


class Role(StrEnum):
    ADMIN = "admin"
    CURATOR = "curator"
    INVESTIGATOR = "investigator"
    SENIOR = "senior"
    ANALYST = "analyst"
    AUDITOR = "auditor"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.CURATOR: frozenset(
        {
            Permission.MATCH,
            Permission.HASHSETS_READ,
            Permission.HASHSETS_WRITE,
            Permission.DETERRENCE,
            Permission.DETERRENCE_MANAGE,
        }
    ),
    # Cases hold personal details of suspects: only investigators (and admins) see them, not analysts.
    Role.INVESTIGATOR: frozenset({Permission.CASES, Permission.SCANS}),
    # A senior analyst or examiner: an analyst who also settles disputed grades and authorises notices.
    Role.SENIOR: frozenset(
        {
            Permission.MATCH,
            Permission.HASHSETS_READ,
            Permission.REPORT,
            Permission.HOTLINE,
            Permission.HOTLINE_AUTHORISE,
            Permission.SCANS,
            Permission.SCANS_RUN,
            Permission.REVIEW,
            Permission.REVIEW_SETTLE,
            Permission.STATS,
        }
    ),
    Role.ANALYST: frozenset(
        {
            Permission.MATCH,
            Permission.HASHSETS_READ,
            Permission.REPORT,
            Permission.HOTLINE,
            Permission.SCANS,
            Permission.SCANS_RUN,
            Permission.REVIEW,
        }
    ),
    # Auditors read the log and nothing else: they oversee the people who look at hash lists.
    Role.AUDITOR: frozenset({Permission.AUDIT_READ}),
}

ROLE_HELP = {
    Role.ADMIN: "everything, including users and tokens",
    Role.CURATOR: "manage hash sets and the deterrence lists, match",
    Role.INVESTIGATOR: "work cases (referrals, risk, actions, operations) and read scans",
    Role.SENIOR: "an analyst who also settles disputed grades and authorises notices",
    Role.ANALYST: "match, view hash sets, work the hotline, run scans and grade in review",
    Role.AUDITOR: "read the audit log",
}


class RoleError(InvalidInput, ValueError):
    pass


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise RoleError(f"unknown role {text!r}: choose one of {', '.join(r.value for r in Role)}") from None


def parse_scopes(texts: list[str] | tuple[str, ...] | str) -> frozenset[Permission]:
    """Scopes from CLI/API text: repeated values and/or comma-separated lists."""
    items = [texts] if isinstance(texts, str) else list(texts)
    out: set[Permission] = set()
    for item in items:
        for part in item.split(","):
            name = part.strip().lower()
            if not name:
                continue
            try:
                out.add(Permission(name))
            except ValueError:
                raise RoleError(
                    f"unknown scope {name!r}: choose from {', '.join(p.value for p in Permission)}"
                ) from None
    if not out:
        raise RoleError("give at least one scope")
    return frozenset(out)


def scopes_text(scopes: frozenset[Permission] | set[Permission]) -> str:
    return ",".join(sorted(p.value for p in scopes))
