"""Faults injected into generated landing files, as real pipelines receive them (`subwh generate
--inject KIND[=RATE]`). Each kind rewrites the daily files deterministically (seeded) and reports how
many lines it touched; the fault-injection tests check what the warehouse makes of them.

Harmless noise (the marts must come out exactly as without it):
  duplicates          a line repeated in the same file
  redelivered         a line delivered again in a file 3 days later
  conflicting_payload a later copy of an event with the same id and a different payload (first wins)
  late                a line moved to the file 2 days later
  tz_offsets          Segment timestamps written with a +02:00 offset (the same instant)
  malformed           lines that are truncated, not JSON, blank, invalid UTF-8, or a JSON array
  bom                 a byte-order mark before a line
  new_field           an unknown field added to an event
  very_long           an event with a 1 MB property
  duplicate_file      a day's file dropped again under another name
Faults the gates must catch (nothing of them may be published):
  unknown_currency    an invoice in currency xyz
  future_timestamps   events dated 30 days after the run
  ancient_timestamps  events dated 1990
  missing_user_ids    Segment calls with neither userId nor anonymousId
  type_change         invoice amounts as strings ("1200")
  renamed_field       Stripe `created` renamed to `created_at`
Events the warehouse keeps and reports (published; MRR and the customer marts unchanged):
  refunds             a paid charge refunded 2 days later (charge.refunded, charge.refund.updated with the
                      refund, credit_note.created for the invoice), in full or in part
  orphans             an invoice paid with its charge by a customer and subscription never seen, and a
                      Segment track call from a user who never signed up or identified
"""

from __future__ import annotations

import gzip
import json
import random
import time
from collections.abc import Callable
from pathlib import Path

HARMLESS = (
    "duplicates",
    "redelivered",
    "conflicting_payload",
    "late",
    "tz_offsets",
    "malformed",
    "bom",
    "new_field",
    "very_long",
    "duplicate_file",
)
BLOCKING = (
    "unknown_currency",
    "future_timestamps",
    "ancient_timestamps",
    "missing_user_ids",
    "type_change",
    "renamed_field",
)
RECORDED = ("refunds", "orphans")
KINDS = HARMLESS + BLOCKING + RECORDED
DEFAULT_RATE = 0.01
MALFORMED_LINES = [b'{"id": "evt_truncated", "type": "x", "crea', b"not json at all", b"", b"\xff\xfe\xfa", b"[1, 2]"]


def parse_inject(spec: str) -> tuple[str, float]:
    """`KIND` or `KIND=RATE` (0 < RATE <= 1), as given on the command line."""
    kind, _, rate_text = spec.partition("=")
    if kind not in KINDS:
        raise ValueError(f"unknown --inject kind {kind!r}; one of: {', '.join(KINDS)}")
    try:
        rate = float(rate_text) if rate_text else DEFAULT_RATE
    except ValueError as exc:
        raise ValueError(f"--inject {spec}: the rate must be a number, got {rate_text!r}") from exc
    if not 0 < rate <= 1:
        raise ValueError(f"--inject {spec}: the rate must be in (0, 1], got {rate}")
    return kind, rate


class Landing:
    """The generated daily files of one source, as lists of raw lines (bytes), rewritten at the end."""

    def __init__(self, out_dir: Path, source: str):
        self.dir = out_dir / source
        self.files = sorted(self.dir.glob("*.jsonl.gz"))
        self.lines = {path: gzip.decompress(path.read_bytes()).split(b"\n")[:-1] for path in self.files}

    def later(self, path: Path, days: int) -> Path:
        index = self.files.index(path)
        return self.files[min(index + days, len(self.files) - 1)]

    def save(self) -> None:
        for path, lines in self.lines.items():
            path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n", compresslevel=1, mtime=0))


def _pick(landing: Landing, rng: random.Random, rate: float, accept: Callable[[dict], bool]):
    """(file, index, event) for about `rate` of the lines whose event passes `accept`."""
    chosen = []
    for path in landing.files:
        for index, line in enumerate(landing.lines[path]):
            if rng.random() < rate:
                try:
                    event = json.loads(line)
                except ValueError:  # a line an earlier injection broke on purpose
                    continue
                if isinstance(event, dict) and accept(event):
                    chosen.append((path, index, event))
    return chosen


def _dump(event: dict) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


def inject(out_dir: Path, kind: str, rate: float, seed: int) -> int:
    """Apply one fault to the landing files under `out_dir`; returns the lines touched."""
    rng = random.Random(f"{seed}-{kind}")
    source = "segment" if kind in ("tz_offsets", "missing_user_ids") else "stripe"
    landing = Landing(out_dir, source)
    touched = 0
    if kind in RECORDED:
        return _add_events(out_dir, kind, rate, rng)
    if kind == "duplicate_file":
        original = landing.files[len(landing.files) // 2]
        copy = original.with_name(original.name.replace("_events_", "_events_redropped_"))
        copy.write_bytes(original.read_bytes())
        return len(landing.lines[original])
    is_invoice = lambda e: e.get("type", "").startswith("invoice.") and "amount_due" in e["data"]["object"]  # noqa: E731
    accept = {
        "unknown_currency": is_invoice,
        "type_change": is_invoice,
        "missing_user_ids": lambda e: e.get("type") == "track",
    }.get(kind, lambda e: True)
    moves = []
    for path, index, event in _pick(landing, rng, rate, accept):
        line = landing.lines[path][index]
        touched += 1
        if kind == "duplicates":
            moves.append((path, line))
        elif kind == "redelivered":
            moves.append((landing.later(path, 3), line))
        elif kind == "conflicting_payload":
            moves.append((landing.later(path, 1), _dump(dict(event, request={"id": "req_conflicting_copy"}))))
        elif kind == "late":
            landing.lines[path][index] = None
            moves.append((landing.later(path, 2), line))
        elif kind == "tz_offsets":
            landing.lines[path][index] = _dump(dict(event, timestamp=_plus_two_hours(event["timestamp"])))
        elif kind == "malformed":
            moves.append((path, MALFORMED_LINES[touched % len(MALFORMED_LINES)]))
        elif kind == "bom":
            landing.lines[path][index] = b"\xef\xbb\xbf" + line
        elif kind == "new_field":
            landing.lines[path][index] = _dump(dict(event, x_new_field={"added": True}))
        elif kind == "very_long":
            event["data"]["object"].setdefault("metadata", {})["notes"] = "x" * 1_000_000
            landing.lines[path][index] = _dump(event)
        elif kind == "unknown_currency":
            event["data"]["object"]["currency"] = "xyz"
            landing.lines[path][index] = _dump(event)
        elif kind == "future_timestamps":
            landing.lines[path][index] = _dump(dict(event, created=int(time.time()) + 30 * 86_400))
        elif kind == "ancient_timestamps":
            landing.lines[path][index] = _dump(dict(event, created=631_152_000))
        elif kind == "missing_user_ids":
            landing.lines[path][index] = _dump({k: v for k, v in event.items() if k not in ("userId", "anonymousId")})
        elif kind == "type_change":
            event["data"]["object"]["amount_due"] = str(event["data"]["object"]["amount_due"])
            landing.lines[path][index] = _dump(event)
        elif kind == "renamed_field":
            event["created_at"] = event.pop("created")
            landing.lines[path][index] = _dump(event)
    for path, line in moves:
        landing.lines[path].append(line)
    for path in landing.files:
        landing.lines[path] = [line for line in landing.lines[path] if line is not None]
        rng.shuffle(landing.lines[path])
    landing.save()
    return touched


def _add_events(out_dir: Path, kind: str, rate: float, rng: random.Random) -> int:
    """New events built from generated ones: refunds of paid charges, or orphans cloned from paid
    invoices and track calls. Returns the events added."""
    stripe = Landing(out_dir, "stripe")
    added = 0
    if kind == "refunds":
        charges = _pick(stripe, rng, rate, lambda e: e.get("type") == "charge.succeeded")
        for number, (path, _, event) in enumerate(charges, start=1):
            charge = event["data"]["object"]
            refunded = charge["amount"] if number % 2 else charge["amount"] // 2  # every other one in part
            when = event["created"] + 2 * 86_400
            refund = {
                "id": f"re_injected_{number}", "object": "refund", "amount": refunded, "charge": charge["id"],
                "created": when, "currency": charge["currency"], "payment_intent": None,
                "reason": "requested_by_customer", "status": "succeeded",
            }  # fmt: skip
            credit_note = {
                "id": f"cn_injected_{number}", "object": "credit_note", "amount": refunded, "created": when,
                "currency": charge["currency"], "customer": charge["customer"], "invoice": charge["invoice"],
                "number": f"CN-{number:04d}", "reason": "product_unsatisfactory", "refund": refund["id"],
                "status": "issued", "type": "post_payment", "subtotal": refunded, "total": refunded,
                "memo": None, "out_of_band_amount": None, "voided_at": None,
            }  # fmt: skip
            refunded_charge = dict(charge, amount_refunded=refunded, refunded=refunded == charge["amount"])
            later = stripe.later(path, 2)
            for event_type, obj in (
                ("charge.refunded", refunded_charge),
                ("charge.refund.updated", refund),
                ("credit_note.created", credit_note),
            ):
                stripe.lines[later].append(_dump(_like(event, f"evt_injected_{obj['id']}", event_type, when, obj)))
                added += 1
    else:
        paid = _pick(stripe, rng, rate, lambda e: e.get("type") in ("invoice.paid", "charge.succeeded"))
        for number, (path, _, event) in enumerate(paid, start=1):
            obj = dict(event["data"]["object"], id=f"{event['data']['object']['id']}_orphan_{number}",
                       customer=f"cus_orphan_{number}")  # fmt: skip
            subscription = f"sub_orphan_{number}"
            if "subscription" in obj:
                obj["subscription"] = subscription
            if "parent" in obj:
                details = {"subscription": subscription, "metadata": {}}
                obj["parent"] = {"type": "subscription_details", "subscription_details": details}
            stripe.lines[path].append(_dump(_like(event, f"evt_orphan_{number}", event["type"], event["created"], obj)))
            added += 1
        segment = Landing(out_dir, "segment")
        in_product = lambda e: e.get("type") == "track" and e.get("event") != "Signed Up"  # noqa: E731
        for number, (path, _, call) in enumerate(_pick(segment, rng, rate, in_product), start=1):
            orphan = {k: v for k, v in call.items() if k != "anonymousId"}
            segment.lines[path].append(_dump(dict(orphan, messageId=f"orphan-{number}", userId=f"usr_orphan_{number}")))
            added += 1
        segment.save()
    stripe.save()
    return added


def _like(event: dict, event_id: str, event_type: str, created: int, obj: dict) -> dict:
    """A Stripe event shaped like `event` (same API version) carrying `obj`."""
    return dict(event, id=event_id, type=event_type, created=created, data={"object": obj})


def _plus_two_hours(timestamp: str) -> str:
    """2024-06-01T09:14:03.218Z -> 2024-06-01T11:14:03.218+02:00 (the same instant)."""
    date_part, time_part = timestamp.rstrip("Z").split("T")
    hours = int(time_part[:2]) + 2
    if hours >= 24:  # keep it simple: do not cross midnight, leave these as they are
        return timestamp
    return f"{date_part}T{hours:02d}{time_part[2:]}+02:00"


def apply_injections(out_dir: Path, specs: list[str], seed: int) -> dict[str, int]:
    """Apply `--inject` specs in order and record them in generator_params.json (`injected`)."""
    parsed = [parse_inject(spec) for spec in specs]
    done = {kind: inject(out_dir, kind, rate, seed) for kind, rate in parsed}
    params_path = out_dir / "generator_params.json"
    params = json.loads(params_path.read_text())
    params["injected"] = {**params.get("injected", {}), **done}
    params_path.write_text(json.dumps(params, indent=2) + "\n")
    return done
