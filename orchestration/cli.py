"""`subwh`: generate demo data and run the warehouse headless."""

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

from orchestration.settings import PROJECT_ROOT, load_settings

DEMO_USERS = 1500
DEMO_DAYS = 365


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _event_count(text: str) -> int:
    """A positive number of events, also written as `bench --events` writes sizes: 10M, 500k."""
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower())
    try:
        return _positive_int(text) if scale is None else _positive_int(str(int(text[:-1]) * scale))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number like 5000000 or 5M, got {text}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="subwh", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="write a simulated company's Stripe and Segment events")
    gen.add_argument("--seed", type=int, default=42)
    size = gen.add_mutually_exclusive_group()
    size.add_argument("--users", type=_positive_int, help="accounts that sign up (default 300)")
    size.add_argument("--events", type=_event_count, help="approximate number of events to write (e.g. 10M)")
    gen.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1), help="first day (YYYY-MM-DD)")
    gen.add_argument("--days", type=_positive_int, default=180)
    gen.add_argument("--out", type=Path, help="landing directory (default: SUBWH_LANDING_DIR)")
    gen.add_argument(
        "--inject",
        action="append",
        default=[],
        metavar="KIND[=RATE]",
        help="add a fault to the files (repeatable): duplicates, redelivered, conflicting_payload, late, "
        "tz_offsets, malformed, bom, new_field, very_long, duplicate_file, unknown_currency, "
        "future_timestamps, ancient_timestamps, missing_user_ids, type_change, renamed_field, refunds, "
        "orphans; RATE is the "
        "share of lines (default 0.01)",
    )

    pull = commands.add_parser(
        "pull-stripe",
        help="fetch new events from the Stripe API (key in STRIPE_API_KEY) into the landing zone",
    )
    pull.add_argument("--base-url", default="https://api.stripe.com", help="API base URL (default: Stripe's)")

    bench = commands.add_parser(
        "bench", help="time the pipeline against the floor (plain DuckDB) and the peer (pandas); see the README"
    )
    bench.add_argument(
        "--events",
        action="append",
        choices=["1M", "10M", "100M"],
        help="sizes to run (repeatable; default 1M and 10M)",
    )
    bench.add_argument("--seed", type=int, default=7)
    bench.add_argument("--work-dir", type=Path, help="generated data and warehouses (default .bench/)")
    bench.add_argument("--out-dir", type=Path, help="results: JSON and latest.md (default benchmarks/)")
    bench.add_argument("--no-peer", action="store_true", help="skip the pandas peer")
    bench.add_argument(
        "--no-floor",
        action="store_true",
        help="skip the floor (no pipeline/floor ratio; the pipeline and daily runs only, for the daily ratio)",
    )

    run = commands.add_parser("run", help="load, transform, check and publish everything once")
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the warehouse from every landing file (drops the working file first)",
    )
    return parser


def cmd_generate(args: argparse.Namespace) -> int:
    from orchestration.generator import GeneratorConfig, generate
    from orchestration.generator.inject import apply_injections, parse_inject
    from orchestration.generator.simulate import EVENTS_PER_SIGNUP, stderr_progress

    try:
        for spec in args.inject:
            parse_inject(spec)
    except ValueError as exc:
        print(f"subwh generate: {exc}", file=sys.stderr)
        return 2
    out = args.out or load_settings().landing_dir
    users = args.users or (max(1, args.events // EVENTS_PER_SIGNUP) if args.events else 300)
    started = time.perf_counter()
    params = generate(
        GeneratorConfig(
            out_dir=out.resolve(),
            seed=args.seed,
            users=users,
            start=args.start,
            days=args.days,
            progress=stderr_progress,
        )
    )
    if args.inject:
        injected = apply_injections(out.resolve(), args.inject, args.seed)
        print("injected: " + ", ".join(f"{kind} {n:,} lines" for kind, n in injected.items()))
    events = params["realized"]["events"]
    print(
        f"wrote {sum(events.values()):,} events ({events['stripe']:,} Stripe, {events['segment']:,} Segment) "
        f"in {params['realized']['files']} files to {out} in {time.perf_counter() - started:.1f}s"
    )
    return 0


def _landing_is_empty(landing: Path) -> bool:
    return not any(p.is_file() for source in ("stripe", "segment") for p in (landing / source).glob("*.json*"))


def wants_demo_company(settings) -> bool:
    """A demo company is generated on a first run only: the landing zone is empty and there is no
    warehouse yet. An empty landing zone beside a warehouse (a share not mounted, a folder moved)
    must not fill it with made-up data."""
    return _landing_is_empty(settings.landing_dir) and not settings.warehouse_path.exists()


def cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT))
    if wants_demo_company(settings):
        print(
            f"landing zone {settings.landing_dir} is empty: generating a demo company "
            f"({DEMO_USERS} signups over {DEMO_DAYS} days)",
            flush=True,
        )
        cmd_generate(
            argparse.Namespace(
                seed=42,
                users=DEMO_USERS,
                events=None,
                start=date(2024, 1, 1),
                days=DEMO_DAYS,
                out=settings.landing_dir,
                inject=[],
            )
        )
    elif _landing_is_empty(settings.landing_dir):
        print(
            f"landing zone {settings.landing_dir} is empty; {settings.warehouse_path} exists, so no demo "
            "company is generated (only a first run does that)",
            flush=True,
        )
    from orchestration.run_lock import RunInProgressError
    from orchestration.runner import run_everything

    started = time.perf_counter()
    try:
        summary = run_everything(settings, full_refresh=args.full_refresh)
    except RunInProgressError as exc:
        print(f"subwh run: {exc}", file=sys.stderr)
        return 1
    print(f"\n{summary.line()}  [{time.perf_counter() - started:.0f}s]")
    for detail in summary.failure_details[:10]:
        print(f"  failed: {detail}", file=sys.stderr)
    if summary.error and not summary.published:
        print(f"first failure: {summary.error}", file=sys.stderr)
    return 0 if summary.success and summary.published else 1


def cmd_pull_stripe(args: argparse.Namespace) -> int:
    from orchestration.stripe_api import StripeAPIError, StripeClient, pull_events

    api_key = os.environ.get("STRIPE_API_KEY", "").strip()
    if not api_key:
        print("subwh pull-stripe: set STRIPE_API_KEY (a restricted key with read access to events)", file=sys.stderr)
        return 2
    landing = load_settings().landing_dir
    try:
        result = pull_events(StripeClient(api_key=api_key, base_url=args.base_url.rstrip("/")), landing)
    except StripeAPIError as exc:
        print(f"subwh pull-stripe: {exc}; nothing written, the cursor did not move", file=sys.stderr)
        return 1
    where = f" to {result.file}" if result.file else ""
    print(f"pulled {result.events_written:,} new Stripe events{where} ({result.retries} retried requests)")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from orchestration.bench import DEFAULT_OUT_DIR, DEFAULT_WORK_DIR, run_bench

    path = run_bench(
        args.events or ["1M", "10M"],
        work_dir=args.work_dir or DEFAULT_WORK_DIR,
        out_dir=args.out_dir or DEFAULT_OUT_DIR,
        seed=args.seed,
        peer=not args.no_peer,
        floor=not args.no_floor,
    )
    print(f"results: {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {"generate": cmd_generate, "run": cmd_run, "pull-stripe": cmd_pull_stripe, "bench": cmd_bench}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
