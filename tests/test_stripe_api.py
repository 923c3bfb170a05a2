"""Pulling events from the Stripe API, against a local server that speaks Stripe's list format (paging
with starting_after, created[gte], newest first) and misbehaves on purpose: a rate limit, an HTML
error page, a refused key."""

import gzip
import json
import subprocess
import sys
import threading
import urllib.parse
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from orchestration.extract import load_source, reconcile
from orchestration.generator import GeneratorConfig, generate
from orchestration.stripe_api import StripeAPIError, StripeClient, pull_events
from orchestration.warehouse import connect


class FakeStripe:
    """Serves `events` at /v1/events as Stripe does; `faults` is a queue of responses to give first."""

    def __init__(self, events: list[dict]):
        self.events = events
        self.faults: list[tuple[int, dict, str]] = []
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.requests.append(self.path)
                if self.headers.get("Authorization") != "Bearer sk_test_good":
                    error = {"type": "invalid_request_error", "message": "Invalid API Key provided"}
                    return self._send(401, {}, json.dumps({"error": error}))
                if fake.faults:
                    return self._send(*fake.faults.pop(0))
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                newest_first = sorted(fake.events, key=lambda e: (e["created"], e["id"]), reverse=True)
                if "created[gte]" in query:
                    newest_first = [e for e in newest_first if e["created"] >= int(query["created[gte]"])]
                if "starting_after" in query:
                    ids = [e["id"] for e in newest_first]
                    newest_first = newest_first[ids.index(query["starting_after"]) + 1 :]
                limit = int(query.get("limit", 10))
                page = newest_first[:limit]
                body = {"object": "list", "url": "/v1/events", "has_more": len(newest_first) > limit, "data": page}
                self._send(200, {}, json.dumps(body))

            def _send(self, status, headers, body):
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json" if body.startswith("{") else "text/html")
                self.end_headers()
                self.wfile.write(body.encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def generated_events(tmp_path):
    """Real Stripe events from the generator (a small company's landing files)."""
    out = tmp_path / "generated"
    generate(GeneratorConfig(out_dir=out, seed=9, users=40, start=date(2024, 1, 1), days=30))
    events = []
    for path in sorted((out / "stripe").glob("*.jsonl.gz")):
        events += [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]
    return events


def _written(path) -> list[dict]:
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


def test_a_pull_pages_retries_and_writes_a_landing_file_the_extract_loads(generated_events, tmp_path):
    cut = sorted(e["created"] for e in generated_events)[len(generated_events) * 2 // 3]
    fake = FakeStripe([e for e in generated_events if e["created"] <= cut])
    fake.faults = [(429, {"Retry-After": "0"}, json.dumps({"error": {"type": "rate_limit_error"}})),
                   (503, {}, "<html><body>Service Unavailable</body></html>")]  # fmt: skip
    waits: list[float] = []
    client = StripeClient(api_key="sk_test_good", base_url=fake.url, sleep=waits.append, first_backoff_seconds=0.5)
    landing = tmp_path / "landing"

    first = pull_events(client, landing, now=datetime(2024, 2, 1, tzinfo=UTC))

    served = {e["id"] for e in fake.events}
    written = _written(first.file)
    assert {e["id"] for e in written} == served and len(written) == len(served)
    assert [(e["created"], e["id"]) for e in written] == sorted((e["created"], e["id"]) for e in written)
    assert len(fake.requests) >= 2 + len(served) // 100  # the two faults, then every page of 100
    assert first.retries == 2 and waits == [0.0, 1.0]  # Retry-After honoured, then the doubled backoff

    fake.events = generated_events  # later, Stripe has the rest (and still the old ones)
    second = pull_events(client, landing, now=datetime(2024, 2, 2, tzinfo=UTC))
    new = {e["id"] for e in generated_events} - served
    assert {e["id"] for e in _written(second.file)} == new  # only what is new, none twice
    assert all("created%5Bgte%5D" in r or "created[gte]" in r for r in fake.requests[-1:])
    assert pull_events(client, landing).events_written == 0  # nothing new: no file

    con = connect(tmp_path / "w.duckdb")
    loaded = load_source(con, landing, "stripe", load_id="run-1")
    assert (loaded.files_loaded, loaded.lines_loaded, loaded.lines_quarantined) == (2, len(generated_events), 0)
    assert reconcile(con, "stripe") == []


def test_a_refused_key_stops_the_pull_with_stripes_message_and_writes_nothing(generated_events, tmp_path):
    fake = FakeStripe(generated_events[:10])
    landing = tmp_path / "landing"
    client = StripeClient(api_key="sk_test_revoked", base_url=fake.url, sleep=lambda s: None)

    with pytest.raises(StripeAPIError, match="HTTP 401: invalid_request_error: Invalid API Key provided"):
        pull_events(client, landing)

    assert list((landing / "stripe").iterdir()) == [] and not (landing / ".stripe_api_cursor.json").exists()


def test_an_error_that_keeps_coming_gives_up_with_the_status(generated_events, tmp_path):
    fake = FakeStripe(generated_events[:10])
    fake.faults = [(500, {}, "<html>oops</html>")] * 10
    client = StripeClient(api_key="sk_test_good", base_url=fake.url, sleep=lambda s: None, max_attempts=3)

    with pytest.raises(StripeAPIError, match="HTTP 500: <html>oops</html>"):
        pull_events(client, tmp_path / "landing")
    assert len(fake.requests) == 3


def test_the_cli_reads_the_key_from_the_environment(generated_events, tmp_path):
    fake = FakeStripe(generated_events[:5])
    env = {"SUBWH_LANDING_DIR": str(tmp_path / "landing"), "PATH": "/usr/bin:/bin"}
    base = [sys.executable, "-m", "orchestration.cli", "pull-stripe", "--base-url", fake.url]

    missing = subprocess.run(base, env=env, capture_output=True, text=True)
    pulled = subprocess.run(base, env={**env, "STRIPE_API_KEY": "sk_test_good"}, capture_output=True, text=True)

    assert missing.returncode == 2 and "set STRIPE_API_KEY" in missing.stderr
    assert pulled.returncode == 0 and "pulled 5 new Stripe events" in pulled.stdout, pulled.stderr
    assert "sk_test_good" not in pulled.stdout + pulled.stderr


def test_the_pull_asset_writes_a_landing_file_the_sensor_then_sees(generated_events, tmp_path, monkeypatch):
    import dagster as dg

    from orchestration.triggers import StripeAPIResource, build_landing_files_sensor, stripe_api_events

    fake = FakeStripe(generated_events)
    landing = tmp_path / "landing"
    monkeypatch.setenv("SUBWH_LANDING_DIR", str(landing))
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_good")
    resources = {"stripe_api": StripeAPIResource(base_url=fake.url)}
    sensor = build_landing_files_sensor("refresh_warehouse")
    assert isinstance(sensor(dg.build_sensor_context()), dg.SkipReason)  # nothing landed yet

    pulled = dg.materialize([stripe_api_events], resources=resources)

    metadata = pulled.asset_materializations_for_node("landing__stripe_api_events")[0].metadata
    assert metadata["events_written"].value == len(generated_events)
    assert len(list((landing / "stripe").glob("stripe_api_*.jsonl.gz"))) == 1
    request = sensor(dg.build_sensor_context())
    assert isinstance(request, dg.RunRequest)

    again = dg.materialize([stripe_api_events], resources=resources)  # nothing new: no file, no run
    assert again.asset_materializations_for_node("landing__stripe_api_events")[0].metadata["events_written"].value == 0
    assert isinstance(sensor(dg.build_sensor_context(cursor=request.run_key.removeprefix("landing-"))), dg.SkipReason)

    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_revoked")
    refused = dg.materialize([stripe_api_events], resources=resources, raise_on_error=False)
    assert not refused.success
    failure = refused.get_step_failure_events()[0].event_specific_data.error.message
    assert "Invalid API Key provided" in failure and "sk_test_revoked" not in failure
