"""Builders for Segment spec calls (track, identify) as a collector stores them."""

from __future__ import annotations

import functools
import math
from datetime import UTC, datetime

import orjson

_LIBRARY = {"name": "analytics.js", "version": "next-1.70.0"}
_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64)"


_DAY_PREFIXES: dict[int, str] = {}
# "HH:MM:SS." for each second of a day and "mmmZ" for each millisecond: an ISO time is three lookups
# (usage.py makes the same lookups with Arrow)
CLOCK = [f"{h:02d}:{m:02d}:{s:02d}." for h in range(24) for m in range(60) for s in range(60)]
MILLIS = [f"{ms:03d}Z" for ms in range(1000)]


def iso(ts: float) -> str:
    """`ts` as Segment writes times: `2024-01-31T12:00:05.250Z`. The same text as
    `datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.")` plus the milliseconds, without
    a datetime per call (it is called three times per generated call)."""
    whole = math.floor(ts)
    # fromtimestamp rounds the fraction to the microsecond (half to even), then %f is cut to millis
    seconds, micros = divmod(whole * 1_000_000 + round((ts - whole) * 1e6), 1_000_000)
    day, second = divmod(seconds, 86_400)
    prefix = _DAY_PREFIXES.get(day)
    if prefix is None:
        prefix = day_prefix(day)
    return prefix + CLOCK[second] + MILLIS[micros // 1000]


def day_prefix(day: int) -> str:
    """`2024-01-31T` for the `day`-th day since 1970-01-01 (kept: a history has a few hundred)."""
    prefix = _DAY_PREFIXES.get(day)
    if prefix is None:
        prefix = _DAY_PREFIXES[day] = datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%dT")
    return prefix


def _common(message_id: str, ts: float, user_id: str | None, anonymous_id: str, skew: float) -> dict:
    # sentAt is the client's clock (skewed); receivedAt is the collector's, a little later.
    return {
        "messageId": message_id,
        "userId": user_id,
        "anonymousId": anonymous_id,
        "timestamp": iso(ts),
        "sentAt": iso(ts + skew),
        "receivedAt": iso(ts + 0.35),
    }


# JSON text of each event name (a handful)
@functools.cache
def event_name_json(event: str) -> str:
    """An event name as JSON text (a handful of names, kept)."""
    return orjson.dumps(event).decode()


def track_line(
    message_id: str,
    ts: float,
    skew: float,
    event: str,
    properties: dict,
    who: str,
    context: str,
) -> bytes:
    """A track call as one JSON line: the bytes `orjson.dumps` writes for the call's dict (fields in
    Segment's order: type, event, messageId, userId, anonymousId, timestamp, sentAt, receivedAt,
    properties, context), formatted from text the caller keeps per user (`who`: the userId and
    anonymousId members; `context`: the context object, see `track_parts`). It is the generator's most
    frequent line: formatting it costs a third of building the dict and dumping it."""
    event_json = event_name_json(event)
    properties_json = orjson.dumps(properties).decode() if properties else "{}"
    # sentAt is the client's clock (skewed); receivedAt is the collector's, a little later.
    return (
        f'{{"type":"track","event":{event_json},"messageId":"{message_id}",{who},'
        f'"timestamp":"{iso(ts)}","sentAt":"{iso(ts + skew)}","receivedAt":"{iso(ts + 0.35)}",'
        f'"properties":{properties_json},"context":{context}}}'
    ).encode()


def track_parts(user_id: str | None, anonymous_id: str, account_id: str | None, path: str) -> tuple[str, str]:
    """The `who` and `context` text of `track_line` for one user on one page."""
    who = orjson.dumps({"userId": user_id, "anonymousId": anonymous_id}).decode()[1:-1]
    return who, track_context(account_id, path)


_CONTEXT_START = '{"library":' + orjson.dumps(_LIBRARY).decode() + ',"page":{"path":'
_CONTEXT_END = '},"userAgent":' + orjson.dumps(_USER_AGENT).decode()


@functools.cache
def _page_context(path: str) -> str:
    """The context's text up to its groupId, for a page (a handful of pages, kept)."""
    return f"{_CONTEXT_START}{orjson.dumps(path).decode()}{_CONTEXT_END}"


def track_context(account_id: str | None, path: str) -> str:
    """The JSON text of a call's context object: `orjson.dumps` of {"library": ..., "page": {"path":
    path}, "userAgent": ..., "groupId": account_id (when there is one)}, without making the dict."""
    page = _page_context(path)
    return f'{page},"groupId":{orjson.dumps(account_id).decode()}}}' if account_id else f"{page}}}"


def identify(message_id: str, ts: float, user_id: str, anonymous_id: str, traits: dict) -> dict:
    call = {"type": "identify", **_common(message_id, ts, user_id, anonymous_id, 0.1)}
    call["traits"] = traits
    call["context"] = {"library": _LIBRARY}
    return call
