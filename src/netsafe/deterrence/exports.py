"""Exports for blocking infrastructure, all from the same entries of the same versions.

- ``rpz``: a DNS Response Policy Zone (BIND, Unbound, PowerDNS): whole-host entries only, since DNS sees
  no paths; each host (that name, not its subdomains, as the matcher reads a host entry) answered with a
  CNAME to the operator's warning host (or ``.``, NXDOMAIN). The serial is the sum of the URL lists'
  versions, so it grows with every change.
- ``squid``: one ``url_regex`` a line (``acl netsafe url_regex "/etc/squid/netsafe.txt"``).
- ``hosts``: ``0.0.0.0 host`` for whole-host entries.
- ``txt``: every entry as it is matched (a prefix ends in ``*``; a host is bare).
"""

from __future__ import annotations

import re
from typing import Any

from netsafe.errors import InvalidInput

FORMATS = ("rpz", "squid", "hosts", "txt")
RPZ_ORIGIN = "rpz.netsafe.invalid."


def check_format(text: str) -> str:
    value = text.strip().lower()
    if value not in FORMATS:
        raise InvalidInput(f"format: choose one of {', '.join(FORMATS)}")
    return value


def _versions(entries: list[dict[str, Any]]) -> dict[str, int]:
    return {e["list"]: e["list_version"] for e in entries}


def _header(entries: list[dict[str, Any]], comment: str) -> list[str]:
    lists = ", ".join(f"{name} v{v}" for name, v in sorted(_versions(entries).items())) or "none"
    return [f"{comment} netsafe deterrence URL list: {lists}; {len(entries)} entries"]


def render(entries: list[dict[str, Any]], fmt: str, rpz_target: str = ".") -> str:
    """``entries`` from ``lists.live_entries(db, "url")``."""
    fmt = check_format(fmt)
    hosts = sorted({e["value"] for e in entries if e["match"] == "host"})
    if fmt == "rpz":
        serial = max(1, sum(_versions(entries).values()))
        target = rpz_target if rpz_target.endswith(".") else rpz_target + "."
        lines = [
            *_header(entries, ";"),
            f"$ORIGIN {RPZ_ORIGIN}",
            "$TTL 300",
            f"@ SOA localhost. hostmaster.localhost. {serial} 3600 600 86400 300",
            "@ NS localhost.",
        ]
        for host in hosts:
            if _is_ip(host):
                continue  # an address is not a name: RPZ's IP triggers are a different rule
            lines.append(f"{host} CNAME {target}")
        return "\n".join(lines) + "\n"
    if fmt == "hosts":
        return "\n".join([*_header(entries, "#"), *(f"0.0.0.0 {h}" for h in hosts if not _is_ip(h))]) + "\n"
    if fmt == "squid":
        lines = _header(entries, "#")
        for e in entries:
            body = re.escape(e["value"].split("://", 1)[1] if "://" in e["value"] else e["value"])
            if e["match"] == "host":
                lines.append(rf"^https?://{body}(:[0-9]+)?/")
            elif e["match"] == "prefix":
                lines.append(rf"^https?://{body}")
            else:
                lines.append(rf"^https?://{body}$")
        return "\n".join(lines) + "\n"
    out = _header(entries, "#")
    for e in entries:
        out.append(e["value"] + ("*" if e["match"] == "prefix" else ""))
    return "\n".join(out) + "\n"


def _is_ip(host: str) -> bool:
    return ":" in host or host.replace(".", "").isdigit()
