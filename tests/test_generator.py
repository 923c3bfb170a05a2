import gzip
import hashlib
import json
import random
from datetime import UTC, date, datetime

import duckdb
import numpy as np
import orjson
import pyarrow as pa
import pytest

from orchestration.generator import GeneratorConfig, catalog, generate, segment_calls, simulate, text_columns, usage
from orchestration.generator.catalog import PLAN_ORDER, USAGE_EVENTS


def _digest(root) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.jsonl.gz")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())  # the gzip bytes themselves: no clock in their header
    return digest.hexdigest()


def test_same_seed_same_bytes_and_planted_parameters_written(tmp_path):
    a = generate(GeneratorConfig(out_dir=tmp_path / "a", seed=7, users=40, days=45))
    generate(GeneratorConfig(out_dir=tmp_path / "b", seed=7, users=40, days=45))
    generate(GeneratorConfig(out_dir=tmp_path / "c", seed=8, users=40, days=45))
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    written = json.loads((tmp_path / "a" / "generator_params.json").read_text())
    assert written["planted"]["activation_rate"] == {"control": 0.30, "guided": 0.45}
    assert written == json.loads(json.dumps(a))


def test_files_are_daily_and_in_the_real_formats(tmp_path):
    generate(GeneratorConfig(out_dir=tmp_path, seed=3, users=60, start=date(2024, 3, 1), days=60))
    stripe_files = sorted((tmp_path / "stripe").glob("*.jsonl.gz"))
    assert stripe_files[0].name == "stripe_events_2024-03-01.jsonl.gz"
    events = [json.loads(line) for f in stripe_files for line in gzip.open(f, "rt")]
    types = {e["type"] for e in events}
    assert {"customer.created", "customer.subscription.created", "invoice.paid"} <= types
    versions = {e["api_version"] for e in events}
    assert versions == {"2024-06-20", "2025-03-31.basil"}
    new_sub = next(
        e for e in events if e["api_version"] == "2025-03-31.basil" and e["type"].startswith("customer.subscription.")
    )
    assert "current_period_end" in new_sub["data"]["object"]["items"]["data"][0]
    assert "current_period_end" not in new_sub["data"]["object"]
    currencies = {e["data"]["object"].get("currency") for e in events if e["type"] == "invoice.paid"}
    assert "jpy" in currencies and len(currencies) >= 2
    calls = [json.loads(line) for f in (tmp_path / "segment").glob("*.gz") for line in gzip.open(f, "rt")]
    assert {c["type"] for c in calls} == {"track", "identify"}
    assert all(c["messageId"] and c["timestamp"].endswith("Z") for c in calls)


def test_every_generated_event_is_in_a_file_once(tmp_path):
    """A call dated just before midnight but emitted after the day's file was written (an invitee's
    pricing-page view) used to rewrite that file and lose it: every event must land exactly once."""
    params = generate(GeneratorConfig(out_dir=tmp_path, seed=3, users=600, days=180))  # loses 64 with the old writer
    for source in ("stripe", "segment"):
        ids = [
            json.loads(line)["id" if source == "stripe" else "messageId"]
            for f in (tmp_path / source).glob("*.gz")
            for line in gzip.open(f, "rt")
        ]
        assert len(ids) == len(set(ids)) == params["realized"]["events"][source], source


def test_a_run_split_into_shards_reads_as_one_company(tmp_path, monkeypatch):
    """Above SHARD_USERS signups, processes simulate shards of the company and each day's file is
    the shards' gzip members one after the other: ids must stay unique across shards, the catalog
    must appear once, the realized counts must add up to the files, and a seed must give the same
    bytes however the processes were scheduled."""
    monkeypatch.setattr(simulate, "SHARD_USERS", 25)
    params = generate(GeneratorConfig(out_dir=tmp_path / "a", seed=5, users=60, days=60))
    generate(GeneratorConfig(out_dir=tmp_path / "b", seed=5, users=60, days=60))
    assert params["shards"] == 3
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert not (tmp_path / "a" / ".shards").exists()
    events = [json.loads(line) for f in (tmp_path / "a" / "stripe").glob("*.gz") for line in gzip.open(f, "rt")]
    calls = [json.loads(line) for f in (tmp_path / "a" / "segment").glob("*.gz") for line in gzip.open(f, "rt")]
    assert len({e["id"] for e in events}) == len(events) == params["realized"]["events"]["stripe"]
    assert len({c["messageId"] for c in calls}) == len(calls) == params["realized"]["events"]["segment"]
    assert sum(e["type"] == "product.created" for e in events) == len(PLAN_ORDER)
    customers = {e["data"]["object"]["id"] for e in events if e["type"] == "customer.created"}
    counts = params["realized"]["counts"]
    assert len(customers) == counts["trials"] > 0
    identified = {c["userId"] for c in calls if c["type"] == "identify"}
    assert len(identified) == counts["signups_guided"] + counts["signups_control"] == 60 + counts["invitee_signups"]
    files = sorted((tmp_path / "a").rglob("*.jsonl.gz"))
    assert len(files) == params["realized"]["files"]
    multi_member = duckdb.sql(f"select count(*) from read_ndjson_objects({[str(f) for f in files]})")
    assert multi_member.fetchall() == [(len(events) + len(calls),)]


def test_stripe_objects_written_as_text_are_the_dicts_dumped(tmp_path, monkeypatch):
    """Subscription and invoice JSON is written from text (stripe_objects.subscription_json,
    invoice_json) and events are joined around their object by Arrow (stripe_objects.Events), not
    built as dicts: over a whole company, through both API versions, each must be the bytes orjson
    writes for the dict builders' objects."""
    so = simulate.so
    seen = {"subscription": set(), "invoice": set()}

    def checked(kind, text_of, dict_of):
        def render(obj, api_version):
            text = text_of(obj, api_version)
            assert text == orjson.dumps(dict_of(obj, api_version)).decode()
            seen[kind].add((api_version, obj["status"], bool(obj.get("discount"))))
            return text

        return render

    monkeypatch.setattr(so, "subscription_json", checked("subscription", so.subscription_json, so.subscription))
    monkeypatch.setattr(so, "invoice_json", checked("invoice", so.invoice_json, so.invoice))
    generate(GeneratorConfig(out_dir=tmp_path, seed=3, users=400, days=240))
    versions = {catalog.OLD_API_VERSION, catalog.NEW_API_VERSION}
    assert {v for v, *_ in seen["subscription"]} == {v for v, *_ in seen["invoice"]} == versions
    assert {v for v, _, discounted in seen["subscription"] if discounted} == versions
    assert {"trialing", "active", "past_due", "canceled"} <= {status for _, status, _ in seen["subscription"]}
    assert {"draft", "open", "paid", "uncollectible"} <= {status for _, status, _ in seen["invoice"]}
    lines = [line for path in sorted((tmp_path / "stripe").glob("*.gz")) for line in gzip.open(path)]
    with_previous = 0
    for line in lines:
        evt = json.loads(line)
        data = evt["data"]
        made = so.event(
            evt["id"], evt["type"], evt["created"], data["object"], evt["api_version"], data.get("previous_attributes")
        )
        assert line == orjson.dumps(made) + b"\n"
        with_previous += "previous_attributes" in data
    assert len(lines) > 4_000 and with_previous > 300  # every event (5,119), 368 with previous attributes


def test_iso_writes_what_datetime_writes_to_the_millisecond():
    rng = random.Random(1)
    times = [1_704_067_200 + rng.random() * 400 * 86_400 for _ in range(20_000)]
    times += [1_704_067_205.9999996, 1_704_067_205.99999949, 1_704_067_205.0, 1_704_153_599.9999999]
    for ts in times:
        at = datetime.fromtimestamp(ts, UTC)
        assert segment_calls.iso(ts) == at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z", ts


def test_usage_lines_formatted_at_once_are_the_lines_of_one_call_at_a_time():
    """The usage calls of a simulated day are formatted by numpy and Arrow (usage.track_lines); each
    line must be the one segment_calls.track_line writes for the same call, byte for byte, and its
    newline."""
    rng = np.random.default_rng(3)
    n = 5_000
    ts = 1_704_067_200 + rng.integers(0, 200 * 86_400, n)
    skew = rng.uniform(-2, 2, n)
    event = rng.integers(0, len(USAGE_EVENTS), n)
    numbers = rng.integers(1, 10**11, n)
    users = [
        segment_calls.track_parts(f"usr_{k}", f"anon-{k}", f"acct_{k // 3}" if k % 4 else None, "/app")
        for k in range(50)
    ]
    user = rng.integers(0, len(users), n)
    lines = usage.track_lines(
        ts,
        skew,
        pa.array([json.dumps(USAGE_EVENTS[e]) for e in event]),
        "msg_007",
        numbers,
        pa.array([users[u][0] for u in user]),
        pa.array([users[u][1] for u in user]),
    ).to_pylist()
    for k in range(n):
        who, context = users[user[k]]
        expected = segment_calls.track_line(
            f"msg_007{numbers[k]:011d}", int(ts[k]), float(skew[k]), USAGE_EVENTS[event[k]], {}, who, context
        )
        assert lines[k] == expected + b"\n"
        assert json.loads(lines[k])["properties"] == {}


def test_track_calls_formatted_at_once_are_the_lines_of_one_call_at_a_time():
    """Signup and onboarding calls (fractional times, properties, other pages) are kept until the day
    ends and formatted together (usage.TrackCalls); each line must be the one
    segment_calls.track_line writes for the same call, byte for byte, and its newline."""
    rng = random.Random(5)
    calls = usage.TrackCalls()
    expected = []
    for k in range(3_000):
        ts = 1_704_067_200 + rng.random() * 200 * 86_400
        ts = float(round(ts)) if k % 5 == 0 else ts  # whole seconds too
        skew = rng.uniform(-2, 2)
        event = rng.choice(["Signed Up", "Onboarding Step Completed", "Invite Sent", 'Odd "Name"'])
        properties = {} if k % 3 == 0 else {"step_number": k, "variant": "guided", "invited": k % 2 == 0}
        path = rng.choice(["/app", "/signup", "/onboarding"])
        account = f"acct_{k}" if k % 3 else None
        who, context = segment_calls.track_parts(f"usr_{k}" if k % 7 else None, f"anon-{k}", account, path)
        made = {"library": segment_calls._LIBRARY, "page": {"path": path}, "userAgent": segment_calls._USER_AGENT}
        assert context == json.dumps(made | ({"groupId": account} if account else {}), separators=(",", ":"))
        calls.add(ts, skew, event, properties, who, context)
        line = segment_calls.track_line(f"msg_007{k + 1:011d}", ts, skew, event, properties, who, context)
        expected.append(line + b"\n")
    times, lines = calls.lines(lambda n: np.arange(1, n + 1), "msg_007")
    assert lines.to_pylist() == expected
    assert len(calls.lines(lambda n: np.arange(1, n + 1), "msg_007")[1]) == 0  # added calls are formatted once
    assert len(times) == len(lines)


def test_text_column_gathers_what_a_list_would():
    """Users' texts are appended as users sign up and gathered for each day's calls (text_columns)."""
    rng = np.random.default_rng(2)
    column, texts = text_columns.TextColumn(), []
    for day in range(30):  # the buffers grow past their first size (64 KiB, 1,024 texts)
        for k in range(int(rng.integers(0, 200))):
            text = f'"userId":"usr_{day}_{k}"' * int(rng.integers(1, 20))
            column.append(text)
            texts.append(text)
        rows = rng.integers(0, len(texts), 500) if texts else np.zeros(0, np.int64)
        assert column.take(rows).to_pylist() == [texts[r] for r in rows]
    column.append("café")
    with pytest.raises(ValueError, match="ASCII"):
        column.take(np.array([0]))
