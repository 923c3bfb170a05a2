"""Pull Stripe events from the API into the landing zone, in the files the extract already reads.

`GET /v1/events` lists events newest first, 100 per page, paged with `starting_after`. A pull asks for
everything created at or after the cursor (the newest `created` of the last pull), drops the ids the
last pull already wrote at that second, and writes what is new to one file,
`<landing>/stripe/stripe_api_<UTC time>.jsonl.gz`, oldest first. The file appears by rename, so the
extract never sees half of it, and the cursor moves only after the file is in place. A pull that
fails writes nothing and can simply be run again; an event written twice (a crash between the
rename and the cursor) is deduplicated by id in staging like any redelivery.

Rate limits (429) and server errors (5xx, or a network error) are retried with exponential backoff,
honouring `Retry-After` and `Stripe-Should-Retry`; any other error stops the pull with Stripe's own
error message. Stripe keeps events for 30 days: a first pull gets at most the last 30 days.
"""

from __future__ import annotations

import gzip
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

CURSOR_NAME = ".stripe_api_cursor.json"
PAGE_SIZE = 100


class StripeAPIError(RuntimeError):
    """Stripe refused a request (or kept failing after every retry)."""


@dataclass
class StripeClient:
    api_key: str
    base_url: str = "https://api.stripe.com"
    max_attempts: int = 6
    first_backoff_seconds: float = 1.0
    timeout_seconds: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    retries: int = field(default=0, init=False)  # requests retried so far (rate limits, 5xx)

    def get(self, path: str, params: dict[str, str | int]) -> dict:
        url = f"{self.base_url}{path}?{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {self.api_key}"})
        wait = self.first_backoff_seconds
        for attempt in range(1, self.max_attempts + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as exc:
                body = exc.read().decode(errors="replace")
                should_retry = exc.headers.get("Stripe-Should-Retry")
                retryable = should_retry == "true" or (should_retry != "false" and (exc.code == 429 or exc.code >= 500))
                if not retryable or attempt == self.max_attempts:
                    raise StripeAPIError(f"GET {path} failed with HTTP {exc.code}: {_stripe_message(body)}") from None
                retry_after = exc.headers.get("Retry-After")
                delay = float(retry_after) if retry_after and retry_after.isdigit() else wait
            except (urllib.error.URLError, TimeoutError) as exc:
                if attempt == self.max_attempts:
                    raise StripeAPIError(f"GET {path} failed after {attempt} attempts: {exc}") from None
                delay = wait
            self.retries += 1
            self.sleep(delay)
            wait *= 2
        raise AssertionError("unreachable")

    def list_all(self, path: str, params: dict[str, str | int]) -> Iterator[dict]:
        """Every object of a list endpoint, page by page (newest first for /v1/events)."""
        starting_after = None
        while True:
            page_params = {**params, "limit": PAGE_SIZE}
            if starting_after:
                page_params["starting_after"] = starting_after
            page = self.get(path, page_params)
            if page.get("object") != "list" or not isinstance(page.get("data"), list):
                raise StripeAPIError(f"GET {path}: expected a list object, got {str(page)[:200]}")
            yield from page["data"]
            if not page.get("has_more") or not page["data"]:
                return
            starting_after = page["data"][-1]["id"]


def _stripe_message(body: str) -> str:
    try:
        error = json.loads(body)["error"]
        return f"{error.get('type', 'error')}: {error.get('message', '')}".strip()
    except (ValueError, KeyError, TypeError):
        return body[:200].strip() or "(empty response)"


@dataclass
class PullResult:
    events_written: int
    file: Path | None
    cursor: int | None
    retries: int


def pull_events(client: StripeClient, landing_dir: Path, now: datetime | None = None) -> PullResult:
    """Fetch the events created since the last pull and write them as one landing file."""
    stripe_dir = landing_dir / "stripe"
    stripe_dir.mkdir(parents=True, exist_ok=True)
    cursor_path = landing_dir / CURSOR_NAME  # beside the source folders, never read as landing data
    cursor = json.loads(cursor_path.read_text()) if cursor_path.exists() else {"created": None, "ids": []}
    params: dict[str, str | int] = {}
    if cursor["created"] is not None:
        params["created[gte]"] = cursor["created"]
    already = set(cursor["ids"])
    events = [e for e in client.list_all("/v1/events", params) if e["id"] not in already]
    if not events:
        return PullResult(0, None, cursor["created"], client.retries)
    events.sort(key=lambda e: (e["created"], e["id"]))
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    path = stripe_dir / f"stripe_api_{stamp}.jsonl.gz"
    tmp = stripe_dir / f".{path.name}.tmp"
    lines = b"".join(json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in events)
    tmp.write_bytes(gzip.compress(lines, mtime=0))
    os.replace(tmp, path)
    newest = events[-1]["created"]
    ids_at_newest = [e["id"] for e in events if e["created"] == newest]
    if newest == cursor["created"]:
        ids_at_newest += cursor["ids"]
    cursor_tmp = cursor_path.with_name(cursor_path.name + ".tmp")
    cursor_tmp.write_text(json.dumps({"created": newest, "ids": sorted(set(ids_at_newest))}) + "\n")
    os.replace(cursor_tmp, cursor_path)
    return PullResult(len(events), path, newest, client.retries)
