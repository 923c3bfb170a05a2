import gzip
import json
import os
from pathlib import Path

import pytest

from orchestration.extract import LandingPathError, _split_lines_one_by_one, load_source, reconcile, split_lines
from orchestration.warehouse import connect

GOOD = {
    "id": "evt_1",
    "object": "event",
    "type": "customer.created",
    "created": 1717243200,
    "data": {"object": {"id": "cus_1", "object": "customer"}},
}


def _table_digest(con) -> list:
    return [
        con.execute(f"select count(*), sum(hash(t::varchar)) from raw.{t} as t").fetchone()
        for t in ("stripe_events", "quarantine_stripe_events", "load_manifest")
    ]


@pytest.fixture
def con(tmp_path):
    connection = connect(tmp_path / "w.duckdb")
    yield connection
    connection.close()


def test_malformed_lines_are_quarantined_with_file_line_and_reason(tmp_path, con):
    landing = tmp_path / "landing"
    (landing / "stripe").mkdir(parents=True)
    lines = [
        json.dumps(GOOD),
        '{"id": "evt_2", "type": "x", "created": 1',
        "",
        json.dumps({"type": "x"}),
        json.dumps(dict(GOOD, id="evt_3", created="yesterday")),
        "[1]",
    ]
    with gzip.open(landing / "stripe" / "day.jsonl.gz", "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    (landing / "stripe" / "bad_bytes.jsonl").write_bytes(
        b"\xff\xfe not utf-8\n" + json.dumps(dict(GOOD, id="evt_4")).encode() + b"\n"
    )

    result = load_source(con, landing, "stripe", "load-1")

    assert (result.lines_read, result.lines_loaded, result.lines_quarantined) == (8, 2, 6)
    rows = con.execute(
        "select source_file, line_number, reason from raw.quarantine_stripe_events order by source_file, line_number"
    ).fetchall()
    assert rows == [
        ("stripe/bad_bytes.jsonl", 1, "invalid UTF-8 at byte 0"),
        ("stripe/day.jsonl.gz", 2, "not valid JSON"),
        ("stripe/day.jsonl.gz", 3, "blank line"),
        ("stripe/day.jsonl.gz", 4, "missing field id"),
        ("stripe/day.jsonl.gz", 5, "missing or unparsable time field"),
        ("stripe/day.jsonl.gz", 6, "not a JSON object"),
    ]
    loaded = con.execute("select event_id, source_file, line_number from raw.stripe_events order by 1").fetchall()
    assert loaded == [("evt_1", "stripe/day.jsonl.gz", 1), ("evt_4", "stripe/bad_bytes.jsonl", 2)]
    assert reconcile(con, "stripe") == []


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n",
        b"a\nb",
        b"a\nb\n\n",
        b'\xef\xbb\xbf{"id": 1}\r\n{"caf\xc3\xa9": 2}\r\n\r\n',  # a BOM, CRLF endings, a blank line
        b"\xef\xbb\xbf\r\n\r\r\nx\r",  # one \r comes off a line, as in the line-by-line path
        "\u2028 \u00e9\n\u6f22\u5b57\n".encode(),
        "\n\n{}\n \n\u6f22\n\nlast".encode(),  # blank lines, an unterminated last line
        b"x\n\xff\n",  # invalid UTF-8
    ],
)
def test_a_file_split_whole_gives_the_lines_split_one_by_one(data):
    """split_lines splits a file of valid UTF-8 without CR or BOM over its bytes; it must number the
    lines exactly as the line-by-line path (the one every other file takes) does."""
    numbers, lines, rejects = split_lines(data)
    assert (numbers.to_pylist(), lines.to_pylist(), rejects) == _split_lines_one_by_one(data)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda data: b"not gzip" + data, "Not a gzipped file"),
        (lambda data: data[: len(data) // 2], "ended before the end-of-stream marker"),
        # a stored block whose length and its complement disagree, after a valid header
        (lambda data: data[:10] + b"\x00\x05\x00\x05\x00" + data[15:], "Invalid deflate block"),
    ],
)
def test_an_unreadable_gzip_file_is_named_and_nothing_is_loaded(tmp_path, con, damage, reason):
    landing = tmp_path / "landing"
    (landing / "stripe").mkdir(parents=True)
    (landing / "stripe" / "a.jsonl").write_text(json.dumps(GOOD) + "\n")
    data = gzip.compress((json.dumps(dict(GOOD, id="evt_2")) + "\n").encode() * 50, mtime=0)
    (landing / "stripe" / "b.jsonl.gz").write_bytes(damage(data))

    with pytest.raises(ValueError, match=f"b.jsonl.gz: not a readable gzip file .*{reason}"):
        load_source(con, landing, "stripe", "load-1")
    assert con.execute("select count(*) from raw.stripe_events").fetchone() == (0,)


def test_loading_the_same_files_twice_changes_nothing(tmp_path, con):
    landing = tmp_path / "landing"
    (landing / "stripe").mkdir(parents=True)
    (landing / "stripe" / "a.jsonl").write_text(json.dumps(GOOD) + "\nnot json\n")
    load_source(con, landing, "stripe", "load-1")
    before = _table_digest(con)

    again = load_source(con, landing, "stripe", "load-2")
    # the same bytes dropped again under another name are recognised by their hash
    (landing / "stripe" / "a_copy.jsonl").write_bytes((landing / "stripe" / "a.jsonl").read_bytes())
    renamed = load_source(con, landing, "stripe", "load-3")

    assert (again.files_loaded, again.files_skipped) == (0, 1)
    assert (renamed.files_loaded, renamed.files_skipped) == (0, 2)
    assert _table_digest(con) == before


def test_a_file_seen_unchanged_is_not_read_again_and_a_changed_one_is(tmp_path, con, monkeypatch):
    """A daily run reads its new files, not the whole landing zone: a file whose name, size and
    modification time are as a run recorded them is not read. One rewritten under the same name
    (another modification time) is read again, and loaded since its bytes are new."""
    stripe = tmp_path / "landing" / "stripe"
    stripe.mkdir(parents=True)
    (stripe / "a.jsonl").write_text(json.dumps(GOOD) + "\n")
    load_source(con, tmp_path / "landing", "stripe", "load-1")
    reads = []
    read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda path: reads.append(path.name) or read_bytes(path))

    (stripe / "b.jsonl").write_text(json.dumps(dict(GOOD, id="evt_2")) + "\n")
    new_file = load_source(con, tmp_path / "landing", "stripe", "load-2")
    assert reads == ["b.jsonl"] and (new_file.files_loaded, new_file.files_skipped) == (1, 1)

    reads.clear()
    (stripe / "a.jsonl").write_text(json.dumps(dict(GOOD, id="evt_3")) + "\n")
    modified_ns = (stripe / "a.jsonl").stat().st_mtime_ns + 1_000_000_000
    os.utime(stripe / "a.jsonl", ns=(modified_ns, modified_ns))
    rewritten = load_source(con, tmp_path / "landing", "stripe", "load-3")
    assert reads == ["a.jsonl"] and (rewritten.files_loaded, rewritten.files_skipped) == (1, 1)
    assert con.execute("select list(event_id order by event_id) from raw.stripe_events").fetchone()[0] == [
        "evt_1",
        "evt_2",
        "evt_3",
    ]
    # each copy of a.jsonl is reconciled with its own rows (by name alone, both would count 2 loaded)
    assert reconcile(con, "stripe") == []


def test_files_loaded_in_one_group_give_the_rows_of_files_loaded_one_by_one(tmp_path):
    """Files commit in groups; a file's rows, line numbers, quarantined lines and manifest counts must
    not depend on which files shared its transaction."""
    landing = tmp_path / "landing"
    (landing / "stripe").mkdir(parents=True)
    for day in range(3):
        lines = [json.dumps(dict(GOOD, id=f"evt_{day}_{n}")) for n in range(4)]
        lines.insert(day, "not json")  # a bad line at a different place in each file
        (landing / "stripe" / f"day{day}.jsonl").write_text("\n".join(lines) + "\n")
    (landing / "stripe" / "day3.jsonl").write_bytes(b"\xff bad\n" + json.dumps(dict(GOOD, id="evt_3")).encode() + b"\n")
    tables = {
        "stripe_events": "event_id, payload::varchar, source_file, line_number",
        "quarantine_stripe_events": "source_file, line_number, raw_line, reason",
        "load_manifest": "file_hash, file_name, lines_read, lines_loaded, lines_quarantined",
    }
    contents = []
    for group_bytes in (1, 10**9):  # each file alone, then all four in one transaction
        connection = connect(tmp_path / f"w{group_bytes}.duckdb")
        result = load_source(connection, landing, "stripe", "load-1", group_bytes=group_bytes)
        assert (result.files_loaded, result.lines_read, result.lines_loaded, result.lines_quarantined) == (4, 17, 13, 4)
        contents.append(
            {
                name: connection.execute(f"select {cols} from raw.{name} order by all").fetchall()
                for name, cols in tables.items()
            }
        )
        connection.close()
    assert contents[0] == contents[1]
    assert contents[0]["quarantine_stripe_events"] == [
        ("stripe/day0.jsonl", 1, "not json", "not valid JSON"),
        ("stripe/day1.jsonl", 2, "not json", "not valid JSON"),
        ("stripe/day2.jsonl", 3, "not json", "not valid JSON"),
        ("stripe/day3.jsonl", 1, "\ufffd bad", "invalid UTF-8 at byte 0"),
    ]


def test_a_symlink_out_of_the_landing_zone_is_refused(tmp_path, con):
    landing = tmp_path / "landing"
    (landing / "stripe").mkdir(parents=True)
    outside = tmp_path / "secret.jsonl"
    outside.write_text(json.dumps(GOOD) + "\n")
    (landing / "stripe" / "link.jsonl").symlink_to(outside)
    with pytest.raises(LandingPathError, match="outside the landing directory"):
        load_source(con, landing, "stripe", "load-1")


def test_a_segment_call_without_timestamp_is_loaded_at_its_received_time(tmp_path, con):
    """Server-side Segment libraries may omit `timestamp`; the collector always sets receivedAt."""
    landing = tmp_path / "landing"
    (landing / "segment").mkdir(parents=True)
    call = {"type": "track", "event": "Signed Up", "userId": "u1", "receivedAt": "2024-06-01T09:14:04.001Z"}
    lines = [
        json.dumps(dict(call, messageId="m1")),
        json.dumps(dict(call, messageId="m2", receivedAt=None)),
    ]
    (landing / "segment" / "day.jsonl").write_text("\n".join(lines) + "\n")

    result = load_source(con, landing, "segment", "load-1")

    assert (result.lines_read, result.lines_loaded, result.lines_quarantined) == (2, 1, 1)
    assert con.execute("select event_id from raw.segment_events").fetchall() == [("m1",)]
    assert con.execute("select line_number, reason from raw.quarantine_segment_events").fetchall() == [
        (2, "missing or unparsable time field")
    ]


def test_file_names_with_quotes_and_sql_are_data_not_code(tmp_path, con):
    landing = tmp_path / "landing"
    (landing / "stripe").mkdir(parents=True)
    name = 'it\'s "odd"; drop table raw.load_manifest; --.jsonl'
    (landing / "stripe" / name).write_text(json.dumps(GOOD) + "\n")

    result = load_source(con, landing, "stripe", load_id="run-1")

    assert (result.lines_loaded, result.lines_quarantined) == (1, 0)
    assert con.execute("select file_name from raw.load_manifest").fetchall() == [(f"stripe/{name}",)]


def test_hidden_files_are_not_landing_data(tmp_path, con):
    landing = tmp_path / "landing"
    (landing / "stripe").mkdir(parents=True)
    (landing / "stripe" / "day.jsonl").write_text(json.dumps(GOOD) + "\n")
    (landing / "stripe" / ".day2.jsonl.part.jsonl").write_text("half a line")  # a partial upload

    result = load_source(con, landing, "stripe", load_id="run-1")

    assert (result.files_loaded, result.lines_read) == (1, 1)
