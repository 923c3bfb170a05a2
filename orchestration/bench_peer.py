"""The benchmark's peer: the same numbers in plain pandas, as a careful pandas user would write them.

`python -m orchestration.bench_peer LANDING OUT_PARQUET`

It reads every landing file of both sources (in chunks, keeping only the fields it needs),
deduplicates deliveries (first copy wins), ties anonymous ids to users (alias, identify, then track,
first pairing wins, as int_anonymous_ids_mapped_to_users does), and computes engagement_daily's DAU,
WAU and MAU up to the product data horizon. That is a fraction of what the pipeline builds: the ratio
peer / pipeline understates the pipeline's advantage. The result is written to OUT_PARQUET, and the
benchmark checks it equals the pipeline's published engagement_daily.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

SEGMENT_FIELDS = ["messageId", "type", "event", "userId", "anonymousId", "previousId", "timestamp", "receivedAt"]
CHUNK_LINES = 200_000


def read_source(landing: Path, source: str, fields: list[str]) -> pd.DataFrame:
    frames = []
    for path in sorted((landing / source).glob("*.jsonl.gz")):
        with pd.read_json(path, lines=True, compression="gzip", dtype=False, chunksize=CHUNK_LINES) as reader:
            for chunk in reader:
                frames.append(chunk.reindex(columns=fields))
    return pd.concat(frames, ignore_index=True)


def _timestamp(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")


def engagement_daily(segment: pd.DataFrame) -> pd.DataFrame:
    calls = segment.drop_duplicates("messageId", keep="first").copy()
    for column in ("userId", "anonymousId", "previousId"):
        calls[column] = calls[column].replace("", np.nan)
    calls["received_at"] = _timestamp(calls["receivedAt"])
    calls["occurred_at"] = _timestamp(calls["timestamp"]).fillna(calls["received_at"])

    kinds = [
        ("alias", 0, calls[(calls.type == "alias") & calls.previousId.notna() & calls.userId.notna()]),
        ("identify", 1, calls[(calls.type == "identify") & calls.anonymousId.notna() & calls.userId.notna()]),
        ("track", 2, calls[(calls.type == "track") & calls.anonymousId.notna() & calls.userId.notna()]),
    ]
    pairings = pd.concat(
        [
            pd.DataFrame(
                {
                    "anonymous_id": rows.previousId if kind == "alias" else rows.anonymousId,
                    "user_id": rows.userId,
                    "occurred_at": rows.occurred_at,
                    "rank": rank,
                    "message_id": rows.messageId,
                }
            )
            for kind, rank, rows in kinds
        ],
        ignore_index=True,
    )
    pairings = pairings[~((pairings["rank"] == 0) & (pairings.anonymous_id == pairings.user_id))]
    first = pairings.sort_values(["anonymous_id", "occurred_at", "rank", "message_id"]).drop_duplicates("anonymous_id")
    by_anonymous_id = first.set_index("anonymous_id")["user_id"]
    by_alias = first[first["rank"] == 0].set_index("anonymous_id")["user_id"]

    tracks = calls[(calls.type == "track") & calls.occurred_at.notna()]
    aliased = tracks.userId.map(by_alias)
    user = aliased.where(aliased.notna(), tracks.userId)
    stitched = tracks.anonymousId.where(tracks.userId.isna()).map(by_anonymous_id)
    user = user.where(user.notna(), stitched)
    in_time = tracks.received_at.isna() | (tracks.occurred_at <= tracks.received_at + pd.Timedelta(days=1))
    horizon = tracks.occurred_at[in_time].max().tz_convert(None).normalize()

    active = pd.DataFrame({"user": user, "day": tracks.occurred_at.dt.tz_convert(None).dt.normalize()})
    active = active.dropna().drop_duplicates()
    active["user"] = active["user"].astype("category").cat.codes
    covered = active.loc[active.index.repeat(30)].reset_index(drop=True)
    covered["since"] = np.tile(np.arange(30), len(active))
    covered["day"] = covered["day"] + pd.to_timedelta(covered["since"], unit="D")
    covered = covered[covered["day"] <= horizon]
    daily = pd.DataFrame(
        {
            "dau": covered[covered.since == 0].groupby("day")["user"].nunique(),
            "wau": covered[covered.since < 7].groupby("day")["user"].nunique(),
            "mau": covered.groupby("day")["user"].nunique(),
        }
    )
    daily = daily.fillna(0).astype("int64").reset_index()
    daily["day"] = daily["day"].dt.date
    return daily


def main(landing: Path, out: Path) -> None:
    started = time.perf_counter()
    stripe = read_source(landing, "stripe", ["id", "type", "created"])
    stripe = stripe.drop_duplicates("id", keep="first")
    segment = read_source(landing, "segment", SEGMENT_FIELDS)
    loaded = time.perf_counter()
    daily = engagement_daily(segment)
    daily.to_parquet(out, index=False)
    print(
        f"peer: read {len(stripe):,} Stripe and {len(segment):,} Segment rows in {loaded - started:.1f}s, "
        f"engagement_daily ({len(daily):,} days) in {time.perf_counter() - loaded:.1f}s"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
