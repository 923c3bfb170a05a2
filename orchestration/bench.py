"""`subwh bench`: the pipeline against the floor and the peer, at 1M, 10M and 100M events.

For each size, in one run on one machine:
- generate: the generator's data (gzipped JSON lines), 180 days. The last two days' files are held back.
- pipeline: `subwh run --full-refresh` on the other days: landing to published marts, every check.
- floor: the same landing files read into DuckDB by one SQL statement per source, then every model of
  the dbt project run as plain SQL (dbt's compiled SQL, rendered once before the clock starts) in
  dependency order. No dbt, no Dagster, no checks, no publish: what DuckDB itself costs on this machine.
  Its marts must equal the pipeline's, or the comparison is void. It runs before the pipeline and
  keeps only a digest of each mart, so the two warehouses never share the disk. Optional (`floor`).
- peer: plain pandas, where it fits in memory. It loads and deduplicates both sources and computes
  engagement_daily's DAU/WAU/MAU: much less than the pipeline does. Its numbers must equal the
  pipeline's published engagement_daily.
- first_daily: the first held-back day lands, then `subwh run`. This is the first daily run after a
  one-shot backfill. Before it, the warehouse's load times are moved two days back, as if the backfill
  had run then (a run takes in the loads not yet accepted, so this changes what it reads only for dbt
  run alone, whose window is the newest load a model holds less a 24 h lookback).
- incremental: the last day lands, then `subwh run`: a daily run in steady state, on top of the full
  history.
Each phase runs in its own process. Wall time, rows (landing lines) per second and peak memory (the
summed resident memory of the phase's process tree, sampled every 0.2 s) go to a JSON file and a
Markdown table.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from orchestration.settings import DBT_PROJECT_DIR, PROJECT_ROOT

SIZES = {"1M": 1_000_000, "10M": 10_000_000, "100M": 100_000_000}
BENCH_DAYS = 180
HELD_BACK_DAYS = 2  # the first daily run after the backfill, then the measured daily run
# How long before the first daily run the backfill is taken to have run: more than the lookback of a
# dbt run alone (incremental_lookback_hours), so the daily runs are in steady state for it too.
BACKFILL_AGE = timedelta(days=2)
# The same key in every phase, so the keyed email hashes compare equal across warehouses.
BENCH_PII_KEY = "bench-only-key"
PEER_MEMORY_LIMIT_BYTES = 20 * 1024**3  # the peer is stopped (MemoryError) past this: "does not fit"


@dataclass
class Phase:
    name: str
    seconds: float
    peak_rss_bytes: int
    rows: int
    ok: bool
    note: str = ""

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def tree_rss(pid: int) -> dict[int, int]:
    """Resident memory of a process and each of its descendants, by pid (Linux /proc)."""
    children = _children_map()
    page = os.sysconf("SC_PAGE_SIZE")
    resident, todo = {}, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        with contextlib.suppress(OSError):  # a process that ended since the scan
            resident[current] = int(Path(f"/proc/{current}/statm").read_text().split()[1]) * page
    return resident


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants."""
    return sum(tree_rss(pid).values())


def _command(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()[:160]
    return "(ended)"


def measure(name: str, argv: list[str], env: dict, log_dir: Path, rows: int, preexec=None) -> Phase:
    """Run one phase in its own process; its output goes to `<log_dir>/<name>.log`. The resident memory of
    its process tree is sampled every 0.2 s; `<name>.memory.tsv` has a sample every 5 s (seconds, total,
    the largest processes), and the log ends with the processes that made up the peak."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    print(f"bench: {name} ...", flush=True)
    with log_path.open("w") as log, (log_dir / f"{name}.memory.tsv").open("w") as samples:
        samples.write("seconds\ttotal_mib\tlargest (pid:MiB)\n")
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=preexec)
        peak, at_peak, next_sample = 0, {}, 0.0
        commands: dict[int, str] = {}  # read once per process, while it runs
        while process.poll() is None:
            resident = tree_rss(process.pid)
            total = sum(resident.values())
            for pid in resident.keys() - commands.keys():
                commands[pid] = _command(pid)
            if total > peak:
                peak, at_peak = total, resident
            elapsed = time.perf_counter() - started
            if elapsed >= next_sample:
                largest = sorted(resident.items(), key=lambda item: -item[1])[:4]
                cells = " ".join(f"{pid}:{size >> 20}" for pid, size in largest)
                samples.write(f"{elapsed:.0f}\t{total >> 20}\t{cells}\n")
                samples.flush()
                next_sample = elapsed + 5
            time.sleep(0.2)
        seconds = time.perf_counter() - started
    ok = process.returncode == 0
    tail = log_path.read_text(errors="replace").strip().splitlines()[-1:] if not ok else []
    with log_path.open("a") as log:
        log.write(f"\nbench: peak {peak / 1024**3:.2f} GiB, by process:\n")
        for pid, size in sorted(at_peak.items(), key=lambda item: -item[1]):
            log.write(f"  {size / 1024**3:6.2f} GiB  {pid}  {commands[pid]}\n")
    phase = Phase(name, seconds, peak, rows, ok, note="" if ok else failure_note(process.returncode, tail))
    print(
        f"bench: {name}: {seconds:,.1f}s, peak {peak / 1024**3:.2f} GiB{'' if ok else ', FAILED (' + phase.note + ')'}",
        flush=True,
    )
    return phase


def failure_note(returncode: int, last_lines: list[str]) -> str:
    """How a phase ended, for the results: its exit code, or the signal that stopped it (a phase
    killed by hand or by the kernel prints nothing), then its last line of output, if any."""
    how = f"killed by {signal.Signals(-returncode).name}" if returncode < 0 else f"exit {returncode}"
    return f"{how}: {last_lines[0][:300]}" if last_lines else how


def landing_lines(landing: Path) -> int:
    import gzip

    total = 0
    for path in sorted(landing.glob("*/*.jsonl.gz")):
        with gzip.open(path, "rb") as handle:
            total += sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b""))
    return total


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    import duckdb

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024**2, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "os": platform.platform(),
    }


def code_version() -> str | None:
    """The commit the bench ran (`-dirty` if the checkout had changes), or None outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "describe", "--always", "--dirty", "--abbrev=7"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _hold_back_last_days(landing: Path, held: Path, count: int) -> list[str]:
    """Move the files of the last `count` days to `held/<day>/<source>/`; returns those days in order."""
    days = sorted({p.name.removesuffix(".jsonl.gz")[-10:] for p in landing.glob("*/*.jsonl.gz")})[-count:]
    for day in days:
        for path in landing.glob(f"*/*_{day}.jsonl.gz"):
            (held / day / path.parent.name).mkdir(parents=True, exist_ok=True)
            shutil.move(path, held / day / path.parent.name / path.name)
    return days


def _deliver(held: Path, landing: Path) -> None:
    """Move every file under `held` back to `landing/<source>/` (its parent folder names the source)."""
    for path in held.rglob("*.jsonl.gz"):
        shutil.move(path, landing / path.parent.name / path.name)


def age_load_times(warehouse: Path, by: timedelta) -> list[str]:
    """Move every time on our own clock in the working warehouse `by` into the past: the load times
    and the watermarks taken from them. Those are exactly its `timestamptz` columns; event times are
    naive UTC timestamps. Returns the columns moved, as schema.table.column."""
    import duckdb

    with duckdb.connect(str(warehouse)) as con:
        columns = con.execute("""
            select columns.table_schema, columns.table_name, columns.column_name
            from information_schema.columns as columns
            join information_schema.tables as tables using (table_catalog, table_schema, table_name)
            where tables.table_type = 'BASE TABLE' and columns.data_type = 'TIMESTAMP WITH TIME ZONE'
            order by all""").fetchall()
        for schema, table, column in columns:
            con.execute(f'update "{schema}"."{table}" set "{column}" = "{column}" - ?', [by])
    return [".".join(names) for names in columns]


def _compile_floor_sql(root: Path, env: dict) -> tuple[Path, Path]:
    """dbt's rendering of every model against a warehouse that holds only the seeds (so incremental
    models render their full-build SQL), as a full refresh renders it (so the list of users whose
    calls changed, which no full build reads, renders empty: 23 s of the 100M floor otherwise); done
    once, before any clock starts. Returns the manifest with the compiled SQL and that warehouse, from
    which the floor copies the seeds."""
    scratch = root / "floor_compile"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    dbt, warehouse = str(Path(sys.executable).parent / "dbt"), scratch / "warehouse.duckdb"
    for command in (["seed"], ["compile", "--full-refresh"]):
        subprocess.run(
            [dbt, *command, "--quiet", "--target-path", str(scratch / "target")],
            cwd=DBT_PROJECT_DIR,
            env={**env, "SUBWH_WAREHOUSE_PATH": str(warehouse)},
            check=True,
        )
    return scratch / "target" / "manifest.json", warehouse


def generator_fingerprint() -> str:
    """A digest of the generator's code: data generated by other code is not what this one writes."""
    digest = hashlib.sha256()
    for path in sorted((Path(__file__).parent / "generator").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _write_instance_settings(dagster_home: Path) -> None:
    """The project's `dagster.yaml` (one run at a time, run monitoring, retention, no telemetry) for the
    bench's own Dagster instance, without its storage paths, which then default to `dagster_home`."""
    settings = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
    for key in ("storage", "local_artifact_storage", "compute_logs"):
        settings.pop(key, None)
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))


def bench_size(label: str, events: int, work_dir: Path, seed: int, peer: bool, floor: bool = True) -> dict:
    root = work_dir / label
    landing, held, logs = root / "landing", root / "held_back_days", root / "logs"
    env = {
        **os.environ,
        "SUBWH_LANDING_DIR": str(landing),
        "SUBWH_WAREHOUSE_DIR": str(root / "pipeline"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "SUBWH_PII_HASH_KEY": BENCH_PII_KEY,
        "TZ": "UTC",
    }
    _write_instance_settings(root / "dagster_home")
    subwh = str(Path(sys.executable).parent / "subwh")
    phases: list[Phase] = []

    params = landing / "generator_params.json"
    wanted = {"events": events, "seed": seed, "generator": generator_fingerprint()}
    if params.exists() and json.loads(params.read_text()).get("bench") == wanted:
        _deliver(held, landing)
        print(f"bench: {label}: reusing the generated data in {landing}", flush=True)
    else:
        shutil.rmtree(root, ignore_errors=True)
        _write_instance_settings(root / "dagster_home")
        argv = [subwh, "generate", "--events", str(events), "--seed", str(seed), "--days", str(BENCH_DAYS)]
        generated = measure("generate", [*argv, "--out", str(landing)], env, logs, rows=0)
        if not generated.ok:
            return {"label": label, "events": events, "phases": [asdict(generated)]}
        recorded = json.loads(params.read_text())
        generated.rows = sum(recorded["realized"]["events"].values())
        recorded["bench"] = wanted
        params.write_text(json.dumps(recorded, indent=2))
        phases.append(generated)

    first_day, last_day = _hold_back_last_days(landing, held, HELD_BACK_DAYS)
    history_rows, first_day_rows, day_rows = (
        landing_lines(landing),
        landing_lines(held / first_day),
        landing_lines(held / last_day),
    )
    python = sys.executable

    # The floor runs first and leaves only its marts' digests behind: at 100M events its warehouse
    # and the pipeline's would not fit on the disk together.
    floor_digests = None
    if floor:
        manifest, seeded = _compile_floor_sql(root, env)
        floor_dir = root / "floor"
        shutil.rmtree(floor_dir, ignore_errors=True)
        argv = [python, "-m", "orchestration.bench_floor", str(landing), str(floor_dir), str(manifest), str(seeded)]
        floor_phase = measure("floor", argv, env, logs, history_rows)
        phases.append(floor_phase)
        floor_digests = mart_digests(floor_dir / "warehouse.duckdb") if floor_phase.ok else None
        shutil.rmtree(floor_dir, ignore_errors=True)
    pipeline = measure("pipeline", [subwh, "run", "--full-refresh"], env, logs, history_rows)
    phases.append(pipeline)
    if peer:
        out = root / "peer_engagement_daily.parquet"
        out.unlink(missing_ok=True)
        phases.append(
            measure(
                "peer",
                [python, "-m", "orchestration.bench_peer", str(landing), str(out)],
                env,
                logs,
                history_rows,
                preexec=_limit_memory,
            )
        )
    agreement = _agreement(root, floor_digests, peer)
    aged = age_load_times(root / "pipeline" / "warehouse.duckdb", BACKFILL_AGE)
    print(f"bench: moved {len(aged)} load-time columns {BACKFILL_AGE.days} days back: {', '.join(aged)}", flush=True)
    _deliver(held / first_day, landing)
    phases.append(measure("first_daily", [subwh, "run"], env, logs, first_day_rows))
    _deliver(held / last_day, landing)
    phases.append(measure("incremental", [subwh, "run"], env, logs, day_rows))
    return {
        "label": label,
        "events": events,
        "history_rows": history_rows,
        "first_daily_day": first_day,
        "incremental_day": last_day,
        "incremental_rows": day_rows,
        "agreement": agreement,
        "phases": [asdict(p) | {"rows_per_second": round(p.rows_per_second)} for p in phases],
    }


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (PEER_MEMORY_LIMIT_BYTES, PEER_MEMORY_LIMIT_BYTES))


MART_DIGEST = "select count(*), sum(hash(x::varchar)) from {} as x"


def _published_marts(con, catalog: str) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_catalog = ? "
            "and table_schema = 'marts' and table_name <> 'data_quality_summary' order by 1",
            [catalog],
        ).fetchall()
    ]


def mart_digests(warehouse: Path) -> dict[str, list]:
    """Row count and an order-free hash of every mart (but the run's own data-quality summary)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            mart: list(con.execute(MART_DIGEST.format(f"marts.{mart}")).fetchone())
            for mart in _published_marts(con, warehouse.stem)
        }


def _agreement(root: Path, floor_digests: dict | None, peer: bool) -> dict:
    """Do the floor's marts equal the pipeline's published ones, and the peer's DAU/WAU/MAU? Each is
    compared when its phase ran (`subwh bench --no-floor` may still run the peer)."""
    import duckdb

    serving = root / "pipeline" / "serving.duckdb"
    peer_file = root / "peer_engagement_daily.parquet"
    peer = peer and peer_file.exists()
    if not (serving.exists() and (floor_digests or peer)):
        return {"compared": False}
    result: dict = {}
    if floor_digests:
        published = mart_digests(serving)
        marts = published.keys() | floor_digests.keys()
        differing = sorted(m for m in marts if published.get(m) != floor_digests.get(m))
        result = {"floor_marts_equal_pipeline": not differing, "floor_marts_differing": differing}
    if peer:
        with duckdb.connect() as con:
            con.execute(f"attach '{serving}' as serving (read_only)")
            mismatched = con.execute(f"""
                select count(*) from (
                    select day, dau, wau, mau from serving.marts.engagement_daily
                    except select day, dau, wau, mau from read_parquet('{peer_file}'))""").fetchone()[0]
            peer_rows = con.execute(f"select count(*) from read_parquet('{peer_file}')").fetchone()[0]
            pipeline_rows = con.execute("select count(*) from serving.marts.engagement_daily").fetchone()[0]
        result["peer_engagement_equal_pipeline"] = mismatched == 0 and peer_rows == pipeline_rows
    return result


def ratios(size: dict) -> dict:
    seconds = {p["name"]: p["seconds"] for p in size["phases"] if p["ok"]}
    out = {}
    if "pipeline" in seconds and "floor" in seconds:
        out["pipeline_over_floor"] = round(seconds["pipeline"] / seconds["floor"], 2)
    if "pipeline" in seconds and "peer" in seconds:
        out["peer_over_pipeline"] = round(seconds["peer"] / seconds["pipeline"], 2)
    if "pipeline" in seconds and "incremental" in seconds:
        out["incremental_over_full"] = round(seconds["incremental"] / seconds["pipeline"], 3)
    return out


def markdown(results: dict) -> str:
    lines = [
        f"Machine: {results['machine']['cpu']}, {results['machine']['cores']} cores, "
        f"{results['machine']['memory_gib']} GiB; {results['started_at']} (`subwh bench`, code "
        f"{results.get('code') or 'unknown'}).",
        "",
        "| events | phase | wall | rows/s | peak memory | ok |",
        "|---|---|---:|---:|---:|---|",
    ]
    for size in results["sizes"]:
        for p in size["phases"]:
            lines.append(
                f"| {size['label']} | {p['name']} | {p['seconds']:,.1f} s | {p['rows_per_second']:,} | "
                f"{p['peak_rss_bytes'] / 1024**3:.2f} GiB | {'yes' if p['ok'] else 'no: ' + p['note']} |"
            )
    lines += [
        "",
        "| events | pipeline / floor | peer / pipeline | incremental / full | marts agree |",
        "|---|---:|---:|---:|---|",
    ]
    for size in results["sizes"]:
        r, a = size.get("ratios", {}), size.get("agreement", {})
        agree = ", ".join(f"{k}: {v}" for k, v in a.items() if not isinstance(v, list)) or "n/a"
        lines.append(
            f"| {size['label']} | {r.get('pipeline_over_floor', 'n/a')} | {r.get('peer_over_pipeline', 'n/a')} | "
            f"{r.get('incremental_over_full', 'n/a')} | {agree} |"
        )
    return "\n".join(lines) + "\n"


def run_bench(labels: list[str], work_dir: Path, out_dir: Path, seed: int, peer: bool, floor: bool = True) -> Path:
    results = {
        "started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "code": code_version(),
        "machine": machine(),
        "sizes": [],
    }
    for label in labels:
        size = bench_size(label, SIZES[label], work_dir.resolve(), seed, peer, floor)
        size["ratios"] = ratios(size)
        results["sizes"].append(size)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    json_path = out_dir / f"bench-{stamp}.json"
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    (out_dir / "latest.md").write_text(markdown(results))
    print(markdown(results))
    return json_path


DEFAULT_WORK_DIR = PROJECT_ROOT / ".bench"
DEFAULT_OUT_DIR = PROJECT_ROOT / "benchmarks"
