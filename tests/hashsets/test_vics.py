from __future__ import annotations

import io
import json
import tracemalloc
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netsafe.hashsets.formats import vics
from netsafe.hashsets.model import Entry
from netsafe.hashsets.profiles import load_profile

from .helpers import errors, read_bytes, to_bytes
from .strategies import full_entries, unique_entries

MD5 = "0123456789ABCDEF0123456789ABCDEF"
SHA1 = "0123456789ABCDEF0123456789ABCDEF01234567"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
CTX2 = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/{}/$metadata#{}"


def doc(media: list[dict[str, Any]], region: str = "UK", entity: str = "Media") -> bytes:
    return json.dumps({"@odata.context": CTX2.format(region, entity), "value": media}).encode()


def test_reads_2_0_media_with_every_field() -> None:
    media = {
        "MediaID": 7,
        "Category": "1",
        "MD5": MD5,
        "SHA1": SHA1,
        "VictimIdentified": "true",
        "OffenderIdentified": False,
        "IsDistributed": "False",
        "Series": "Garden",
        "Tags": "cat, dog;bird",
        "Comments": "made up",
        "IsPrecategorized": "true",
        "MediaSize": "2835",
        "MimeType": "image/jpeg",
        "AlternativeHashes": [
            {"HashName": "PDQ", "HashValue": PDQ.upper()},
            {"HashName": "SHA-256", "HashValue": "ab" * 32},
            {"HashName": "TLSH", "HashValue": "T1ABC"},
        ],
        "MediaFiles": [{"MD5": MD5, "FileName": "a.jpg", "FilePath": "C:/x", "Deleted": "false"}],
    }
    entries, issues = read_bytes(vics.read, doc([media]), profile="uk-caid")
    assert issues == []
    (entry,) = entries
    assert entry.source_id == "7" and entry.category == "A"
    assert entry.signals == {"md5": MD5.lower(), "sha1": SHA1.lower(), "pdq": PDQ, "sha256": "ab" * 32}
    assert entry.alternative_hashes == {"TLSH": "T1ABC"}
    assert (entry.victim_identified, entry.offender_identified, entry.distributed) == (True, False, False)
    assert entry.tags == ["cat", "dog", "bird"] and entry.media_size == 2835
    assert entry.media_files[0]["FileName"] == "a.jpg"
    assert entry.extra == {"IsPrecategorized": "true"}
    assert (entry.origin_file, entry.origin_record) == ("test", 1)


def test_reads_1_x_metadata_form() -> None:
    data = json.dumps(
        {
            "odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media",
            "value": [{"MediaID": 1, "Category": 2, "MD5": MD5, "VictimIdentified": True}],
        }
    ).encode()
    header = vics.VicsHeader()
    entries, issues = read_bytes(vics.read, data, profile="vic-us", header=header)
    assert issues == [] and entries[0].category == "2" and entries[0].victim_identified is True
    assert header.version == "1.3" and header.region is None and header.form == "Media"


def test_reads_cases_form_and_numbers_records_across_cases() -> None:
    data = json.dumps(
        {
            "@odata.context": CTX2.format("UK", "Cases"),
            "value": [
                {"CaseID": "{X}", "CaseNumber": "C-1", "Media": [{"MediaID": 1, "MD5": MD5}]},
                {"CaseID": "{Y}", "Media": [{"MediaID": 2, "MD5": MD5, "SHA1": "zz"}]},
            ],
        }
    ).encode()
    header = vics.VicsHeader()
    entries, issues = read_bytes(vics.read, data, header=header)
    assert [e.source_id for e in entries] == ["1"]
    assert [(i.record, i.field) for i in issues] == [(2, "SHA1")]
    assert header.form == "Cases" and header.case["CaseNumber"] == "C-1"


def test_form_is_found_when_context_comes_last_and_bare_arrays() -> None:
    cases = b'{"value":[{"CaseID":"1","Media":[{"MD5":"%s"}]}],"@odata.context":"x#Cases"}' % MD5.encode()
    entries, issues = read_bytes(vics.read, cases)
    assert len(entries) == 1 and issues == []
    bare = json.dumps([{"MD5": MD5}, {"MD5": MD5.replace("0", "1")}]).encode()
    entries, issues = read_bytes(vics.read, bare)
    assert len(entries) == 2 and issues == []


def test_region_picks_the_file_profile_and_maps_to_the_target() -> None:
    data = doc([{"MediaID": 1, "Category": 0, "MD5": MD5}, {"MediaID": 2, "Category": 1, "MD5": MD5}], "US")
    entries, issues = read_bytes(vics.read, data, profile="uk-caid")
    assert [e.category for e in entries] == ["NP", None]
    assert issues[0].severity == "warning" and "mapped" in issues[0].message
    entries, issues = read_bytes(vics.read, data, profile="vic-us")
    assert [e.category for e in entries] == ["0", "1"] and issues == []


@pytest.mark.parametrize(
    ("media", "field", "words"),
    [
        ({"MD5": "XYZ"}, "MD5", "not a hexadecimal"),
        (
            {"MD5": MD5, "AlternativeHashes": [{"HashName": "PDQ", "HashValue": MD5}]},
            "AlternativeHashes",
            "expected 64 hex characters, got 32",
        ),
        ({"MD5": MD5, "Category": 9}, "Category", "VICS category 9"),
        ({"MD5": MD5, "Category": "x"}, "Category", "unknown category"),
        ({"MD5": MD5, "IsDistributed": "maybe"}, "IsDistributed", "not a boolean"),
        ({"MD5": 12}, "MD5", "expected a hash string"),
        ({"MD5": MD5, "MediaSize": -1}, "MediaSize", "size"),
        ({"MD5": MD5, "MediaFiles": {"a": 1}}, "MediaFiles", "list"),
        ({"MD5": MD5, "AlternativeHashes": "PDQ"}, "AlternativeHashes", "list"),
        ({"MD5": MD5, "Tags": 5}, "Tags", "string"),
        ({"MediaID": 3}, "MD5", "no hash"),
        ({"MediaID": [1], "MD5": MD5}, "MediaID", "id"),
    ],
)
def test_bad_records_name_record_and_field(media: dict[str, Any], field: str, words: str) -> None:
    good = {"MediaID": 100, "MD5": "f" * 32}
    entries, issues = read_bytes(vics.read, doc([good, media]))
    assert len(entries) == 1
    (problem,) = errors(issues)
    assert (problem.file, problem.record, problem.field) == ("test", 2, field)
    assert words in problem.message
    assert str(problem).startswith(f"test:2: field {field}: ")
    assert problem.raw is not None and json.loads(problem.raw) == media


def test_duplicate_ids_and_hashes_are_reported() -> None:
    data = doc([{"MediaID": 1, "MD5": MD5}, {"MediaID": 1, "MD5": "f" * 32}, {"MD5": MD5}, {"MD5": MD5}])
    entries, issues = read_bytes(vics.read, data)
    assert [e.origin_record for e in entries] == [1, 3]
    assert [(i.record, i.field) for i in issues] == [(2, "MediaID"), (4, "MD5")]
    entries, issues = read_bytes(vics.read, data, check_duplicates=False)
    assert len(entries) == 4 and issues == []


def test_unknown_fields_are_kept_with_one_warning() -> None:
    data = doc([{"MD5": MD5, "Mood": "calm"}, {"MD5": "f" * 32, "Mood": "odd"}])
    entries, issues = read_bytes(vics.read, data)
    assert [e.extra for e in entries] == [{"Mood": "calm"}, {"Mood": "odd"}]
    assert [(i.severity, i.record, i.field) for i in issues] == [("warning", 1, "Mood")]


@pytest.mark.parametrize(
    ("data", "record", "words"),
    [
        (b"", 0, "empty"),
        (b"   ", 0, "empty"),
        (b'"just a string"', 0, "top level"),
        (b'{"value": {"MD5": "x"}}', 0, "field value"),
        (b'{"@odata.context": 5, "value": []}', 0, "URL"),
        (b'{"something": []}', 0, "no 'value'"),
        (b'{"value": [{"MD5": "%s"}, {"MD5": ' % MD5.encode(), 2, "malformed JSON"),
        (b'{"value": [{"MD5": "%s"}, 5]}' % MD5.encode(), 2, "expected a Media object"),
        (b'{"value": [{"MD5": "\xff"}]}', 1, "malformed JSON"),
        (b'{"value": [1e400]}', 1, "malformed JSON"),
    ],
)
def test_malformed_files_give_one_located_issue(data: bytes, record: int, words: str) -> None:
    _, issues = read_bytes(vics.read, data)
    assert errors(issues)[-1].record == record
    assert words in errors(issues)[-1].message
    assert "\n" not in str(errors(issues)[-1])


def test_writes_strict_2_0_with_the_profile_region() -> None:
    entries = [
        Entry(signals={"md5": MD5.lower(), "pdq": PDQ}, source_id="12", category="B", distributed=True),
        Entry(signals={"sha256": "ab" * 32}, category=None, tags=["a,b"]),
    ]
    text = to_bytes(vics.write, entries, profile="uk-caid").decode()
    obj = json.loads(text)
    assert obj["@odata.context"] == (
        "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Media"
    )
    first, second = obj["value"]
    assert first == {
        "MediaID": 12,
        "Category": 2,
        "MD5": MD5,
        "IsDistributed": True,
        "AlternativeHashes": [{"HashName": "PDQ", "HashValue": PDQ}],
    }
    assert "Category" not in second and "MediaID" not in second and second["Tags"] == ["a,b"]
    us = json.loads(to_bytes(vics.write, [Entry(signals={"md5": MD5}, category="0")], profile="vic-us"))
    assert "/US/$metadata#Media" in us["@odata.context"] and us["value"][0]["Category"] == 0
    numbered = json.loads(to_bytes(vics.write, entries, profile="uk-caid", media_ids="number"))
    assert [m["MediaID"] for m in numbered["value"]] == [12, 2]


@pytest.mark.parametrize("profile", ["uk-caid", "vic-us"])
@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip(profile: str, data: st.DataObject) -> None:
    entries = data.draw(unique_entries(full_entries(load_profile(profile).codes)))
    first = to_bytes(vics.write, entries, profile=profile)
    again, issues = read_bytes(vics.read, first, profile=profile)
    assert errors(issues) == []
    assert len(again) == len(entries)
    for before, after in zip(entries, again, strict=True):
        assert before.same_content(after), (before, after)
    assert to_bytes(vics.write, again, profile=profile) == first


def _peak_while_reading(n: int) -> tuple[int, int]:
    media = ",".join(
        json.dumps({"MediaID": i, "Category": 1, "MD5": f"{i:032x}", "Comments": "x" * 200}) for i in range(n)
    )
    data = b'{"@odata.context":"%s","value":[%s]}' % (CTX2.format("UK", "Media").encode(), media.encode())
    tracemalloc.start()
    count = sum(1 for item in vics.read(io.BytesIO(data), check_duplicates=False) if isinstance(item, Entry))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == n
    return len(data), peak


def test_streaming_keeps_memory_flat() -> None:
    _, small_peak = _peak_while_reading(2_000)
    big_size, big_peak = _peak_while_reading(8_000)
    assert big_size > 2_000_000
    # Four times the records, the same working memory (the file itself is never held).
    assert big_peak < 1_000_000 and big_peak < small_peak * 1.5 + 65_536, (small_peak, big_peak)


def test_progress_reports_bytes(tmp_path: Any) -> None:
    path = tmp_path / "list.json"
    path.write_bytes(doc([{"MediaID": i, "MD5": f"{i:032x}"} for i in range(10_000)]))
    seen: list[int] = []
    list(vics.read(path, progress=seen.append))
    assert seen and seen[-1] == path.stat().st_size and seen == sorted(seen)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_byte_order_marks_and_utf16(encoding: str) -> None:
    text = doc([{"MediaID": i, "MD5": f"{i:032x}", "Comments": "café ünïcode"} for i in range(3000)]).decode()
    entries, issues = read_bytes(vics.read, text.encode(encoding))
    assert issues == [] and len(entries) == 3000
    assert entries[-1].comments == "café ünïcode" and entries[-1].source_id == "2999"


def test_context_that_contradicts_the_records_is_a_warning() -> None:
    cases_as_media = doc([{"CaseID": "1", "Media": [{"MD5": MD5}, {"MD5": "f" * 32}]}], entity="Media")
    entries, issues = read_bytes(vics.read, cases_as_media)
    assert len(entries) == 2
    assert [(i.severity, i.record, i.field) for i in issues] == [("warning", 0, "@odata.context")]
    media_as_cases = doc([{"MD5": MD5}, {"MD5": "f" * 32}], entity="Cases")
    header = vics.VicsHeader()
    entries, issues = read_bytes(vics.read, media_as_cases, header=header)
    assert len(entries) == 2 and "records are Media" in issues[0].message
    assert header.form == "Media" and header.case == {}
