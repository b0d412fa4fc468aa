"""The police force areas of the UK: the 43 of England and Wales, Police Scotland and the PSNI, with the
spellings that FOI releases and the Home Office tables use, so that "Avon & Somerset" and "Avon and
Somerset Constabulary" are one force."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Force:
    code: str
    name: str
    aliases: tuple[str, ...] = ()


FORCES: tuple[Force, ...] = (
    Force("avon-somerset", "Avon and Somerset Constabulary"),
    Force("bedfordshire", "Bedfordshire Police"),
    Force("cambridgeshire", "Cambridgeshire Constabulary"),
    Force("cheshire", "Cheshire Constabulary"),
    Force("city-of-london", "City of London Police", ("London, City of", "City of London")),
    Force("cleveland", "Cleveland Police"),
    Force("cumbria", "Cumbria Constabulary"),
    Force("derbyshire", "Derbyshire Constabulary"),
    Force("devon-cornwall", "Devon and Cornwall Police"),
    Force("dorset", "Dorset Police"),
    Force("durham", "Durham Constabulary"),
    Force("dyfed-powys", "Dyfed-Powys Police", ("Dyfed Powys",)),
    Force("essex", "Essex Police"),
    Force("gloucestershire", "Gloucestershire Constabulary"),
    Force("greater-manchester", "Greater Manchester Police", ("GMP",)),
    Force("gwent", "Gwent Police"),
    Force(
        "hampshire",
        "Hampshire and Isle of Wight Constabulary",
        ("Hampshire", "Hampshire Constabulary", "Hampshire & IoW", "Hampshire and IOW"),
    ),
    Force("hertfordshire", "Hertfordshire Constabulary"),
    Force("humberside", "Humberside Police"),
    Force("kent", "Kent Police"),
    Force("lancashire", "Lancashire Constabulary"),
    Force("leicestershire", "Leicestershire Police"),
    Force("lincolnshire", "Lincolnshire Police"),
    Force("merseyside", "Merseyside Police"),
    Force(
        "metropolitan",
        "Metropolitan Police Service",
        ("Metropolitan Police", "Met", "MPS", "The Met", "Metropolitan"),
    ),
    Force("norfolk", "Norfolk Constabulary"),
    Force("north-wales", "North Wales Police"),
    Force("north-yorkshire", "North Yorkshire Police"),
    Force("northamptonshire", "Northamptonshire Police"),
    Force("northumbria", "Northumbria Police"),
    Force("nottinghamshire", "Nottinghamshire Police"),
    Force("south-wales", "South Wales Police"),
    Force("south-yorkshire", "South Yorkshire Police"),
    Force("staffordshire", "Staffordshire Police"),
    Force("suffolk", "Suffolk Constabulary"),
    Force("surrey", "Surrey Police"),
    Force("sussex", "Sussex Police"),
    Force("thames-valley", "Thames Valley Police"),
    Force("warwickshire", "Warwickshire Police"),
    Force("west-mercia", "West Mercia Police"),
    Force("west-midlands", "West Midlands Police"),
    Force("west-yorkshire", "West Yorkshire Police"),
    Force("wiltshire", "Wiltshire Police"),
    Force("scotland", "Police Scotland", ("Scotland",)),
    Force(
        "psni",
        "Police Service of Northern Ireland",
        ("PSNI", "Northern Ireland", "Police Service Northern Ireland"),
    ),
)

BY_CODE = {f.code: f for f in FORCES}

# Words that forces' names carry or drop from one table to the next.
_NOISE = re.compile(r"\b(constabulary|police service|police force|police|service|the)\b")


def _key(text: str) -> str:
    text = text.lower().replace("&", " and ")
    text = _NOISE.sub(" ", text)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


_INDEX: dict[str, str] = {}
for _force in FORCES:
    for _name in (_force.name, _force.code, *_force.aliases):
        _INDEX[_key(_name)] = _force.code
# "Police Scotland" and "Police Service of Northern Ireland" are all noise words but the place.
_INDEX[_key("Police Scotland")] = "scotland"


def find_force(text: str) -> Force | None:
    code = _INDEX.get(_key(text))
    return BY_CODE[code] if code else None
