"""The simulated company: users sign up, onboard, activate (or not), trial, pay, change plans, fail
payments, churn and come back. It writes Stripe Event objects and Segment calls, day by day.

The simulation is a single clock driven by a heap of scheduled actions; every state change of a
subscription emits the Stripe event that reports it, at the same second. Because of that, the
simulation can keep an independent record of month-end MRR (`realized.mrr_by_month` in
`generator_params.json`) that tests compare with the warehouse's numbers.
"""

from __future__ import annotations

import bisect
import calendar
import gc
import heapq
import itertools
import json
import math
import multiprocessing
import os
import random
import shutil
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import orjson

from orchestration.generator import segment_calls as seg
from orchestration.generator import stripe_objects as so
from orchestration.generator.catalog import (
    COMPANY_SIZES,
    COUPONS,
    CURRENCY_EXPONENT,
    NEW_API_VERSION,
    OLD_API_VERSION,
    ONBOARDING_STEPS,
    PERSONAS,
    PLAN_ORDER,
    TERM_MONTHS,
    Truths,
)
from orchestration.generator.usage import TrackCalls, UsageDays
from orchestration.generator.writer import DailyWriter, day_of

DAY = 86_400
HOUR = 3_600
# Average events one signing-up account produces over a 180-day history (measured; used to turn
# `--events N` into a number of signups): 70.3 at 20,000 signups (seed 7), and the 100M bench's
# 1,333,333 signups wrote 93.8M events with the 75 this was before.
EVENTS_PER_SIGNUP = 70
PARAMS_FILE = "generator_params.json"
# Signups per shard: a run with more is split into shards that separate processes simulate (one per
# core). The split depends on the signups only, never on the machine, so a seed gives the same files
# everywhere; up to this many signups the output is the one-process generator's.
SHARD_USERS = 20_000
COUNTRY = {"usd": "US", "eur": "DE", "jpy": "JP"}
VAT = {"eur": Fraction(20, 100)}  # tax-exclusive VAT on EUR invoices; MRR excludes it
CANCEL_FEEDBACK = ["too_expensive", "missing_features", "switched_service", "unused", "other"]


@dataclass
class GeneratorConfig:
    out_dir: Path
    seed: int = 42
    users: int = 300
    start: date = date(2024, 1, 1)
    days: int = 180
    truths: Truths = field(default_factory=Truths)
    progress: Callable[[str], None] | None = None


def _ts(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


def api_switch_day(cfg: GeneratorConfig) -> date:
    """The first day of events in the new Stripe API version (40% into the history)."""
    return cfg.start + timedelta(days=int(cfg.days * 0.4))


def _add_months(ts: int, months: int) -> int:
    dt = datetime.fromtimestamp(ts, UTC)
    month_index = dt.month - 1 + months
    year, month = dt.year + month_index // 12, month_index % 12 + 1
    day = min(dt.day, calendar.monthrange(year, month)[1])
    return int(dt.replace(year=year, month=month, day=day).timestamp())


def _seed(name: str) -> int:
    """A numpy generator's seed named by text (random.Random hashes text seeds with SHA-512)."""
    return random.Random(name).getrandbits(64)


class _Weighted:
    """A weighted choice among a dict's keys: the draw `rng.choices(keys, weights)[0]` makes (one
    `rng.random()`), with the weights added up once instead of at every draw."""

    def __init__(self, weights: dict):
        self.keys = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))
        self.total = self.cumulative[-1] + 0.0

    def pick(self, rng: random.Random):
        return self.keys[bisect.bisect(self.cumulative, rng.random() * self.total, 0, len(self.keys) - 1)]


_CHANNELS = _Weighted({"organic": 4, "paid_search": 3, "referral": 2, "partner": 1})
# onboarding steps done by a user who does not activate, by variant
_STEPS_DONE = {"control": _Weighted({1: 3, 2: 2, 3: 1}), "guided": _Weighted({1: 3, 2: 2, 3: 2})}


class Company:
    """One simulated company, or shard `shard` of `shards` of one: a shard simulates its share of the
    signups (and whoever they invite), emits the catalog only if it is shard 0, and numbers its ids
    `shard + 1`, `shard + 1 + shards`, ... so that no two shards share an id."""

    def __init__(self, cfg: GeneratorConfig, out_dir: Path | None = None, shard: int = 0, shards: int = 1):
        self.cfg = cfg
        self.t = cfg.truths
        self.currency_mix, self.plan_mix, self.term_mix = (
            _Weighted(mix) for mix in (self.t.currency_mix, self.t.plan_mix, self.t.term_mix)
        )
        self.shard, self.shards = shard, shards
        self.id_seed = f"_{cfg.seed % 1000:03d}"  # ids: <prefix>_<seed % 1000><11-digit number>
        # One shard keeps the seeds of the unsharded generator, so its data is what it always was.
        base = cfg.seed if shards == 1 else f"{cfg.seed}/{shard}/{shards}"
        self.rng = random.Random(base)
        self.writer = DailyWriter(out_dir or cfg.out_dir, np.random.default_rng(_seed(f"{base}/writer")))
        self.users = cfg.users // shards + (shard < cfg.users % shards)
        self.start_ts = _ts(cfg.start)
        self.end_ts = self.start_ts + cfg.days * DAY
        self.usage = UsageDays(np.random.default_rng(_seed(f"{base}/usage")), self.end_ts)
        self.tracks = TrackCalls()
        self.stripe_events = so.Events()
        self.api_switch_ts = _ts(api_switch_day(cfg))
        self.heap: list = []
        self.seq = 0
        self.ids: dict[str, int] = {}
        self.now = self.start_ts
        self.live_subs: dict[str, dict] = {}
        self.mrr_by_month: dict[str, dict[str, str]] = {}
        self.churn_by_month: dict[str, dict[str, float]] = {}
        self.paying_before: dict[str, float] = {}  # customer paying at the last month end -> churn hazard
        self.end_reason: dict[str, str | None] = {}  # customer -> reason its last subscription ended
        # variant -> users whose activation window ended inside the history, and how many activated
        self.activation_by_variant: dict[str, dict[str, int]] = {}
        self.stats: dict[str, int] = {}

    # -- plumbing -------------------------------------------------------------------------------
    def number(self, prefix: str) -> int:
        """The next number of `prefix`'s ids: this shard's k-th is (k - 1) * shards + shard + 1."""
        k = self.ids.get(prefix, 0) + 1
        self.ids[prefix] = k
        return (k - 1) * self.shards + self.shard + 1

    def numbers(self, prefix: str, n: int) -> np.ndarray:
        """The next `n` numbers of `prefix`'s ids, as `number` would give them one by one."""
        k = self.ids.get(prefix, 0)
        self.ids[prefix] = k + n
        return np.arange(k, k + n, dtype=np.int64) * self.shards + self.shard + 1

    def new_id(self, prefix: str, number: int | None = None) -> str:
        if number is None:
            number = self.number(prefix)
        return f"{prefix}{self.id_seed}{number:011d}"

    def count(self, key: str, by: int = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + by

    def at(self, ts: int, fn: Callable, *args) -> None:
        if ts < self.end_ts:
            self.seq += 1
            heapq.heappush(self.heap, (ts, self.seq, fn, args))

    def api_version(self, ts: int) -> str:
        return OLD_API_VERSION if ts < self.api_switch_ts else NEW_API_VERSION

    def stripe(self, ts: int, event_type: str, obj: dict | str, previous: dict | None = None) -> None:
        """Make the event of `obj` (a dict, or its JSON text): written when the day ends."""
        obj_json = obj if isinstance(obj, str) else orjson.dumps(obj).decode()
        self.stripe_events.add(ts, event_type, obj_json, self.api_version(ts), previous)

    def emit_sub(self, ts: int, event_type: str, sub: dict, previous: dict | None = None) -> None:
        self.stripe(ts, event_type, so.subscription_json(sub, self.api_version(ts)), previous)

    def track(self, u: dict, ts: float, event: str, properties: dict, path: str = "/app") -> None:
        if ts >= self.end_ts:
            return
        skew = self.rng.uniform(-2, 2)
        who, context = self._track_parts(u)
        if path != "/app":
            context = seg.track_context(u["account_id"], path)
        self.tracks.add(ts, skew, event, properties, who, context)  # written when the day ends

    @staticmethod
    def _track_parts(u: dict) -> tuple[str, str]:
        """The user's `who` and /app `context` text (segment_calls.track_parts), made once and kept
        with the user: most calls are on /app. They name the user id they were made for (a user's
        anonymous copy has none)."""
        cached = u.get("_track")
        if cached is None or cached[0] != u["user_id"]:
            cached = u["_track"] = (
                u["user_id"],
                *seg.track_parts(u["user_id"], u["anonymous_id"], u["account_id"], "/app"),
            )
        return cached[1], cached[2]

    def _write_calls(self, before: int) -> None:
        """Format and buffer the Stripe events and track calls made so far, and draw the calls of the
        active days that start before `before`."""
        events = self.stripe_events.lines(lambda n: self.numbers("evt", n), f"evt{self.id_seed}")
        self.writer.write_lines("stripe", *events)
        numbers, id_prefix = (lambda n: self.numbers("msg", n)), f"msg{self.id_seed}"
        self.writer.write_lines("segment", *self.tracks.lines(numbers, id_prefix))
        self.usage.advance(before)
        self.writer.write_lines("segment", *self.usage.lines(numbers, id_prefix))

    # -- the run --------------------------------------------------------------------------------
    def run(self) -> dict:
        """Simulate the whole history, write its files, and return what happened (`realized`)."""
        # Without Python's cycle collector: the simulation makes no reference cycles (after a shard of
        # 20,000 signups run without it, gc.collect() finds nothing to free), and its passes over the
        # simulation's live objects took about 4% of the time.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._run()
        finally:
            if collecting:
                gc.enable()

    def _run(self) -> dict:
        self._schedule_arrivals()
        self._schedule_month_ends()
        self._emit_catalog()
        current_day = day_of(self.start_ts)
        while self.heap:
            ts, _, fn, args = heapq.heappop(self.heap)
            self.now = ts
            day = day_of(ts)
            if day != current_day:
                self._write_calls(ts - ts % DAY)
                self.writer.flush_before(day)
                current_day = day
            fn(*args)
        self._record_mrr("horizon")
        self._write_calls(self.end_ts)
        self.writer.close()
        return {
            "events": dict(self.writer.counts),
            "files": self.writer.files_written,
            "counts": dict(sorted(self.stats.items())),
            "mrr_by_month_minor": self.mrr_by_month,
            "churn_by_month": self.churn_by_month,
            "activation_by_variant": self.activation_by_variant,
        }

    def _schedule_arrivals(self) -> None:
        # Signups grow linearly from 1x to 3x over the period.
        weights = [1 + 2 * d / max(self.cfg.days - 1, 1) for d in range(self.cfg.days)]
        days = self.rng.choices(range(self.cfg.days), weights=weights, k=self.users)
        for d in sorted(days):
            seconds = self.rng.randint(6 * HOUR, 22 * HOUR)
            self.at(self.start_ts + d * DAY + seconds, self.arrive)
        for d in range(self.cfg.days):
            self.at(self.start_ts + d * DAY + 1, self._progress, d)

    def _progress(self, d: int) -> None:
        if self.cfg.progress and (d % 30 == 0 or d == self.cfg.days - 1):
            total = sum(self.writer.counts.values())
            self.cfg.progress(f"day {d + 1}/{self.cfg.days}: {total:,} events")

    def _schedule_month_ends(self) -> None:
        ts = _add_months(_ts(self.cfg.start.replace(day=1)), 1)
        while ts < self.end_ts:
            self.at(ts - 1, self._record_mrr, "month_end")  # last second of the month, after all else
            ts = _add_months(ts, 1)

    def _emit_catalog(self) -> None:
        if self.shard:
            return
        ts = self.start_ts
        for plan in PLAN_ORDER:
            self.stripe(
                ts,
                "product.created",
                {"id": f"prod_{plan}", "object": "product", "name": plan.title(), "active": True, "created": ts},
            )
            for term in TERM_MONTHS:
                for currency in CURRENCY_EXPONENT:
                    self.stripe(ts, "price.created", so.price(plan, term, currency, ts))
        for coupon_id, coupon in COUPONS.items():
            self.stripe(
                ts,
                "coupon.created",
                {"id": coupon_id, "object": "coupon", "created": ts, "valid": True, "currency": None, **coupon},
            )

    # -- oracle: month-end MRR by currency, computed from the simulation's own state ------------
    def _record_mrr(self, kind: str) -> None:
        totals: dict[str, Fraction] = {c: Fraction(0) for c in CURRENCY_EXPONENT}
        paying: list[dict] = []
        for sub in self.live_subs.values():
            mrr = self.sub_mrr(sub, self.now)
            totals[sub["currency"]] += mrr
            if mrr > 0:
                paying.append(sub)
        month = datetime.fromtimestamp(self.now if kind == "month_end" else self.end_ts - 1, UTC)
        self.mrr_by_month[month.strftime("%Y-%m")] = {
            c: f"{Decimal(v.numerator) / Decimal(v.denominator):.6f}" for c, v in totals.items()
        }
        self._record_churn(month.strftime("%Y-%m"), paying)

    def _record_churn(self, month: str, paying_subs: list[dict]) -> None:
        """Logo churn at month-end snapshots (`paying_subs`: the subscriptions with MRR now), and what
        the planted hazards expected for the same customers."""
        paying = {sub["customer"]: self.churn_hazard(sub["user"], self.now) for sub in paying_subs}
        churned = [c for c in self.paying_before if c not in paying]
        involuntary = sum(1 for c in churned if self.end_reason.get(c) == "payment_failed")
        self.churn_by_month[month] = {
            "customers_start": len(self.paying_before),
            "churned_voluntary": len(churned) - involuntary,
            "churned_involuntary": involuntary,
            "expected_voluntary": round(sum(self.paying_before.values()), 6),
        }
        self.paying_before = paying

    @staticmethod
    def sub_mrr(sub: dict, at_ts: int) -> Fraction:
        if sub["status"] not in ("active", "past_due"):
            return Fraction(0)
        price = sub["price"]
        months = TERM_MONTHS[sub["term"]]
        amount = Fraction(price["unit_amount"] * sub["quantity"])
        disc = sub["discount"]
        in_force = disc and disc["coupon"]["duration"] != "once" and (disc["end"] is None or disc["end"] > at_ts)
        if in_force and disc["coupon"]["percent_off"]:
            amount *= 1 - Fraction(str(disc["coupon"]["percent_off"])) / 100
        return round(amount / months, 6)

    # -- users and onboarding -------------------------------------------------------------------
    def new_user(self, account_id: str | None, channel: str) -> dict:
        rng = self.rng
        variant = "guided" if rng.random() < 0.5 else "control"
        number = self.number("usr")
        user = {
            "user_id": self.new_id("usr", number),
            "anonymous_id": f"anon-{self.cfg.seed % 1000:03d}-{number:010d}",
            "account_id": account_id or self.new_id("acct"),
            "persona": rng.choice(PERSONAS),
            "channel": channel,
            "company_size": rng.choice(COMPANY_SIZES),
            "variant": variant,
            "activated": rng.random() < self.t.activation_rate[variant],
            "signup_ts": self.now,
        }
        user["email"] = f"{user['user_id']}@example.com"
        self.count(f"signups_{variant}")
        if user["activated"]:
            self.count(f"activated_{variant}")
        return user

    def arrive(self) -> None:
        u = self.new_user(None, _CHANNELS.pick(self.rng))
        self.signup(u, owner=True)

    def signup(self, u: dict, owner: bool) -> None:
        rng, t0 = self.rng, self.now
        anon_only = dict(u, user_id=None)
        self.track(anon_only, t0 - rng.randint(60, 900), "Pricing Viewed", {"plan_viewed": "team"}, "/pricing")
        identify = seg.identify(
            self.new_id("msg"),
            t0,
            u["user_id"],
            u["anonymous_id"],
            {
                "email": u["email"],
                "role": u["persona"],
                "company_size": u["company_size"],
                "account_id": u["account_id"],
                "plan": "trial",
                "created_at": seg.iso(t0),
            },
        )
        self.writer.write("segment", t0, identify)
        signup_properties = {"method": "email", "channel": u["channel"], "invited": not owner}
        if u.get("invite_id"):
            signup_properties["invite_id"] = u["invite_id"]
        self.track(u, t0 + 1, "Signed Up", signup_properties, "/signup")
        if t0 + 1 + self.t.activation_window_days * DAY <= self.end_ts:
            record = self.activation_by_variant.setdefault(u["variant"], {"users": 0, "activated": 0})
            record["users"] += 1
            record["activated"] += u["activated"]
        self.track(
            u,
            t0 + 2,
            "Experiment Viewed",
            {
                "experiment_id": self.t.experiment_id,
                "experiment_name": "Guided onboarding",
                "variation_id": u["variant"],
                "variation_name": u["variant"],
            },
        )
        self.onboard(u, owner)
        lifetime_days = rng.expovariate(1 / (240 if u["activated"] else 25))
        u["usage_index"] = self.usage.add_user(*self._track_parts(u), u["activated"])
        self.set_active_until(u, t0 + int(lifetime_days * DAY))
        self.usage.start(u["usage_index"], t0 + DAY + rng.randint(0, DAY))
        if owner:
            self.start_trial(u)

    def onboard(self, u: dict, owner: bool) -> None:
        rng, t0 = self.rng, self.now
        if u["activated"]:
            hours = min(rng.expovariate(1 / 20), 160)
            # never before the Signed Up call (t0 + 1); always inside the activation window
            project_ts, invite_ts = t0 + 60 + hours * HOUR * 0.4, t0 + 60 + hours * HOUR
            steps_done = 4
        else:
            project_ts = t0 + rng.uniform(0.2, 6.5) * DAY if rng.random() < 0.5 else None
            invite_ts = t0 + rng.uniform(8, 20) * DAY if rng.random() < 0.15 else None
            steps_done = _STEPS_DONE[u["variant"]].pick(rng)
        step_times = [
            t0 + 30,
            t0 + rng.uniform(120, 1800),
            project_ts or t0 + rng.uniform(1800, 7200),
            invite_ts or t0 + rng.uniform(7200, 20000),
        ]
        for i in range(steps_done):
            self.track(
                u,
                step_times[i],
                "Onboarding Step Completed",
                {"step_number": i + 1, "step_name": ONBOARDING_STEPS[i], "variant": u["variant"]},
                "/onboarding",
            )
        if project_ts:
            self.track(
                u,
                project_ts,
                "Project Created",
                {"project_id": self.new_id("prj"), "template": rng.choice(["kanban", "blank"])},
            )
        if invite_ts:
            invite_id = self.new_id("inv")
            self.track(u, invite_ts, "Invite Sent", {"invitee_role": "member", "invite_id": invite_id})
            if owner and rng.random() < self.t.invite_acceptance_rate:
                self.at(int(invite_ts + rng.uniform(0.5, 48) * HOUR), self.invitee_arrives, u, invite_id)

    def invitee_arrives(self, inviter: dict, invite_id: str) -> None:
        u = self.new_user(inviter["account_id"], "invite")
        u["invited_by"] = inviter["user_id"]
        u["invite_id"] = invite_id
        self.count("invitee_signups")
        self.signup(u, owner=False)

    def set_active_until(self, u: dict, ts: int) -> None:
        """The last moment the user may still have an active day (usage.UsageDays draws them)."""
        u["active_until"] = ts
        self.usage.set_active_until(u["usage_index"], ts)

    # -- billing --------------------------------------------------------------------------------
    def start_trial(self, u: dict) -> None:
        rng, t0 = self.rng, self.now
        currency = self.currency_mix.pick(rng)
        plan = self.plan_mix.pick(rng)
        term = self.term_mix.pick(rng)
        cus_id = self.new_id("cus")
        u["customer_id"] = cus_id
        self.stripe(
            t0,
            "customer.created",
            so.customer(
                cus_id,
                t0,
                u["email"],
                f"Account {u['account_id']}",
                currency,
                {"account_id": u["account_id"], "user_id": u["user_id"]},
                COUNTRY[currency],
            ),
        )
        self.count("trials")
        sub = self.new_subscription(u, plan, term, currency, rng.randint(1, 8), trial=True)
        self.at(sub["trial_end"] - 3 * DAY, self.trial_will_end, sub)
        self.at(sub["trial_end"], self.trial_ends, u, sub)

    def new_subscription(self, u: dict, plan: str, term: str, currency: str, quantity: int, trial: bool) -> dict:
        rng, t0 = self.rng, self.now
        sub_id = self.new_id("sub")
        period_end = t0 + self.t.trial_days * DAY if trial else _add_months(t0, TERM_MONTHS[term])
        collection = (
            "send_invoice"
            if plan == "business" and rng.random() < self.t.send_invoice_share_business
            else "charge_automatically"
        )
        sub = {
            "id": sub_id,
            "item_id": self.new_id("si"),
            "customer": u["customer_id"],
            "currency": currency,
            "plan": plan,
            "term": term,
            "price": so.price(plan, term, currency, self.start_ts),
            "quantity": quantity,
            "status": "trialing" if trial else "active",
            "created": t0,
            "start_date": t0,
            "billing_cycle_anchor": period_end if trial else t0,
            "current_period_start": t0,
            "current_period_end": period_end,
            "trial_start": t0 if trial else None,
            "trial_end": period_end if trial else None,
            "cancel_at_period_end": False,
            "cancel_at": None,
            "canceled_at": None,
            "ended_at": None,
            "cancel_reason": None,
            "cancel_feedback": None,
            "collection_method": collection,
            "payment_method": "pm_card_visa" if collection == "charge_automatically" else None,
            "latest_invoice": None,
            "metadata": {"account_id": u["account_id"]},
            "discount": None,
            "user": u,
        }
        coupon_id = next((c for c, p in self.t.coupon_rate.items() if rng.random() < p), None)
        if coupon_id:
            coupon = COUPONS[coupon_id]
            end = _add_months(t0, coupon["duration_in_months"]) if coupon["duration"] == "repeating" else None
            sub["discount"] = so.discount(
                self.new_id("di"), coupon_id, coupon, u["customer_id"], sub_id, t0, end, currency
            )
        self.live_subs[sub_id] = sub
        self.emit_sub(t0, "customer.subscription.created", sub)
        if sub["discount"]:
            self.stripe(t0, "customer.discount.created", sub["discount"])
        self.invoice(sub, "subscription_create", first=True, zero=trial)
        if not trial:
            self.schedule_period(sub)
        return sub

    def trial_will_end(self, sub: dict) -> None:
        if sub["status"] == "trialing":
            self.emit_sub(self.now, "customer.subscription.trial_will_end", sub)

    def trial_ends(self, u: dict, sub: dict) -> None:
        converts = self.rng.random() < self.t.trial_conversion["activated" if u["activated"] else "not_activated"]
        if converts:
            self.count("trial_conversions_activated" if u["activated"] else "trial_conversions_other")
            sub.update(
                status="active",
                current_period_start=self.now,
                current_period_end=_add_months(self.now, TERM_MONTHS[sub["term"]]),
            )
            self.emit_sub(self.now, "customer.subscription.updated", sub, {"status": "trialing"})
            self.invoice(sub, "subscription_cycle", first=False)
            self.schedule_period(sub)
        else:
            self.end_subscription(sub, reason=None, churn=False)

    def schedule_period(self, sub: dict) -> None:
        """Plan what happens during the period just started: maybe a cancel, upgrade or downgrade."""
        rng = self.rng
        start, end = sub["current_period_start"], sub["current_period_end"]
        months = TERM_MONTHS[sub["term"]]
        p_churn = self.churn_hazard(sub["user"], start)
        roll = rng.random()
        when = int(start + rng.uniform(0.1, 0.9) * (end - start))
        p_cancel = 1 - (1 - p_churn) ** months
        p_up = 1 - (1 - self.t.monthly_upgrade_rate) ** months
        p_down = 1 - (1 - self.t.monthly_downgrade_rate) ** months
        if roll < p_cancel:
            self.at(when, self.request_cancel, sub)
        elif roll < p_cancel + p_up:
            self.at(when, self.change_plan, sub, +1)
        elif roll < p_cancel + p_up + p_down:
            self.at(when, self.change_plan, sub, -1)
        self.at(end, self.renew, sub)

    def churn_hazard(self, user: dict, ts: int) -> float:
        """Monthly chance that the account cancels: higher once its owner stopped using the product."""
        if ts > user["active_until"]:
            return self.t.monthly_churn["disengaged"]
        return self.t.monthly_churn["activated" if user["activated"] else "not_activated"]

    def request_cancel(self, sub: dict) -> None:
        if sub["status"] not in ("active", "past_due"):
            return
        sub.update(
            cancel_at_period_end=True,
            cancel_at=sub["current_period_end"],
            canceled_at=self.now,
            cancel_feedback=self.rng.choice(CANCEL_FEEDBACK),
            cancel_reason="cancellation_requested",
        )
        self.emit_sub(
            self.now,
            "customer.subscription.updated",
            sub,
            {"cancel_at_period_end": False, "cancel_at": None, "canceled_at": None},
        )

    def change_plan(self, sub: dict, direction: int) -> None:
        if sub["status"] != "active" or sub["cancel_at_period_end"]:
            return
        rng = self.rng
        old_price, old_qty = sub["price"], sub["quantity"]
        plan_index = PLAN_ORDER.index(sub["plan"])
        if direction > 0 and rng.random() < 0.3 and plan_index < 2:
            sub["plan"] = PLAN_ORDER[plan_index + 1]
        elif direction > 0:
            sub["quantity"] += rng.randint(1, 3)
        elif sub["quantity"] > 1:
            sub["quantity"] -= 1
        elif plan_index > 0:
            sub["plan"] = PLAN_ORDER[plan_index - 1]
        else:
            return
        sub["price"] = so.price(sub["plan"], sub["term"], sub["currency"], self.start_ts)
        self.count("upgrades" if direction > 0 else "downgrades")
        previous = {"items": {"data": [{"quantity": old_qty, "price": old_price}]}}
        self.emit_sub(self.now, "customer.subscription.updated", sub, previous)
        if direction > 0:  # upgrades invoice the prorated difference at once; downgrades do not
            self.invoice(sub, "subscription_update", first=False, proration_from=(old_price, old_qty))

    def renew(self, sub: dict) -> None:
        if sub["status"] not in ("active", "past_due"):
            return
        if sub["cancel_at_period_end"]:
            self.end_subscription(sub, reason="cancellation_requested", churn=True)
            return
        previous = {
            "current_period_start": sub["current_period_start"],
            "current_period_end": sub["current_period_end"],
        }
        sub.update(current_period_start=self.now, current_period_end=_add_months(self.now, TERM_MONTHS[sub["term"]]))
        self.emit_sub(self.now, "customer.subscription.updated", sub, previous)
        self.invoice(sub, "subscription_cycle", first=False)
        self.schedule_period(sub)

    def end_subscription(self, sub: dict, reason: str | None, churn: bool) -> None:
        sub.update(
            status="canceled",
            ended_at=self.now,
            canceled_at=sub["canceled_at"] or self.now,
            cancel_reason=reason or sub["cancel_reason"],
        )
        self.emit_sub(self.now, "customer.subscription.deleted", sub)
        self.live_subs.pop(sub["id"], None)
        self.end_reason[sub["customer"]] = reason
        if churn:
            self.count("churned_" + ("involuntary" if reason == "payment_failed" else "voluntary"))
            u = sub["user"]
            self.set_active_until(u, min(u["active_until"], self.now + 7 * DAY))
            if self.rng.random() < self.t.reactivation_rate:
                self.at(self.now + self.rng.randint(30, 150) * DAY, self.reactivate, sub)

    def reactivate(self, old: dict) -> None:
        u = old["user"]
        self.set_active_until(u, max(u["active_until"], self.now + int(self.rng.expovariate(1 / 120) * DAY)))
        self.usage.start(u["usage_index"], self.now + DAY)
        self.count("reactivations")
        self.new_subscription(u, old["plan"], old["term"], old["currency"], old["quantity"], trial=False)

    # -- invoices and payments ------------------------------------------------------------------
    def invoice(
        self, sub: dict, reason: str, first: bool, zero: bool = False, proration_from: tuple | None = None
    ) -> None:
        rng, now = self.rng, self.now
        inv_number = self.number("in")
        inv_id = self.new_id("in", inv_number)
        lines = []
        start, end = sub["current_period_start"], sub["current_period_end"]
        if proration_from:
            old_price, old_qty = proration_from
            fraction = Fraction(end - now, end - start)
            lines.append(
                self._line(
                    sub,
                    -round(old_price["unit_amount"] * old_qty * fraction),
                    old_price["id"],
                    old_qty,
                    now,
                    end,
                    True,
                    "Unused time",
                )
            )
            lines.append(
                self._line(
                    sub,
                    round(sub["price"]["unit_amount"] * sub["quantity"] * fraction),
                    sub["price"]["id"],
                    sub["quantity"],
                    now,
                    end,
                    True,
                    "Remaining time",
                )
            )
        else:
            amount = 0 if zero else sub["price"]["unit_amount"] * sub["quantity"]
            lines.append(
                self._line(
                    sub,
                    amount,
                    sub["price"]["id"],
                    sub["quantity"],
                    start,
                    end,
                    False,
                    "Trial period" if zero else f"{sub['quantity']} seat(s)",
                )
            )
        subtotal = sum(line["amount"] for line in lines)
        disc, discount_amount = sub["discount"], 0
        if disc and subtotal > 0 and not proration_from:
            coupon = disc["coupon"]
            applies = (
                coupon["duration"] == "forever"
                or (coupon["duration"] == "once" and first)
                or (coupon["duration"] == "repeating" and disc["end"] > now)
            )
            if applies and coupon["percent_off"]:
                discount_amount = round(subtotal * Fraction(str(coupon["percent_off"])) / 100)
            elif applies and coupon.get("amount_off"):
                discount_amount = min(subtotal, coupon["amount_off"])
        taxable = max(subtotal - discount_amount, 0)
        tax = round(taxable * VAT.get(sub["currency"], 0))
        total = taxable + tax
        send_invoice = sub["collection_method"] == "send_invoice"
        inv = {
            "id": inv_id,
            "customer": sub["customer"],
            "subscription": sub["id"],
            "currency": sub["currency"],
            "billing_reason": reason,
            "collection_method": sub["collection_method"],
            "created": now,
            "due_date": now + 30 * DAY if send_invoice else None,
            "lines": lines,
            "subtotal": subtotal,
            "discount_amount": discount_amount,
            "discount_id": disc["id"] if disc else None,
            "tax": tax,
            "total": total,
            "amount_due": total,
            "amount_paid": 0,
            "attempt_count": 0,
            "status": "draft",
            "number": f"{sub['customer'][-6:].upper()}-{inv_number:06d}",
            "next_payment_attempt": None,
            "period_start": start,
            "period_end": end,
            "status_transitions": {"finalized_at": None, "paid_at": None},
        }
        sub["latest_invoice"] = inv_id
        version = self.api_version(now)
        self.stripe(now, "invoice.created", so.invoice_json(inv, version))
        inv.update(status="open")
        inv["status_transitions"]["finalized_at"] = now
        self.stripe(now, "invoice.finalized", so.invoice_json(inv, version))
        if total == 0:
            self.pay(inv, now)
        elif send_invoice:
            self.at(now + rng.randint(3, 45) * DAY, self.pay_later, inv)
        elif reason != "subscription_create" and rng.random() < self.t.payment_failure_rate:
            self.fail_payment(sub, inv)
        else:
            self.pay(inv, now, charge=True)

    def _line(self, sub, amount, price, quantity, start, end, proration, description) -> dict:
        return {
            "id": self.new_id("il"),
            "amount": amount,
            "price_id": price,
            "quantity": quantity,
            "period_start": start,
            "period_end": end,
            "proration": proration,
            "subscription_item": sub["item_id"],
            "description": description,
        }

    def pay(self, inv: dict, ts: int, charge: bool = False) -> None:
        version = self.api_version(ts)
        if charge:
            inv["attempt_count"] += 1
            self.stripe(ts, "charge.succeeded", so.charge(self.new_id("ch"), inv, ts, True, None))
        inv.update(status="paid", amount_paid=inv["amount_due"], next_payment_attempt=None)
        inv["status_transitions"]["paid_at"] = ts
        self.stripe(ts, "invoice.paid", so.invoice_json(inv, version))
        self.stripe(ts, "invoice.payment_succeeded", so.invoice_json(inv, version))

    def pay_later(self, inv: dict) -> None:
        self.pay(inv, self.now)

    def fail_payment(self, sub: dict, inv: dict) -> None:
        now = self.now
        self.count("payment_failures")
        inv["attempt_count"] += 1
        inv["next_payment_attempt"] = now + 3 * DAY
        self.stripe(now, "charge.failed", so.charge(self.new_id("ch"), inv, now, False, "card_declined"))
        self.stripe(now, "invoice.payment_failed", so.invoice_json(inv, self.api_version(now)))
        sub["status"] = "past_due"
        self.emit_sub(now, "customer.subscription.updated", sub, {"status": "active"})
        self.at(now + self.rng.randint(3, 7) * DAY, self.retry_payment, sub, inv)

    def retry_payment(self, sub: dict, inv: dict) -> None:
        if sub["status"] != "past_due":
            return
        now = self.now
        if self.rng.random() < self.t.payment_recovery_rate:
            self.count("payment_recoveries")
            self.pay(inv, now, charge=True)
            sub["status"] = "active"
            self.emit_sub(now, "customer.subscription.updated", sub, {"status": "past_due"})
        else:
            inv.update(status="uncollectible", next_payment_attempt=None)
            self.stripe(now, "invoice.marked_uncollectible", so.invoice_json(inv, self.api_version(now)))
            self.end_subscription(sub, reason="payment_failed", churn=True)


def generate(cfg: GeneratorConfig) -> dict:
    """Write the landing files and `generator_params.json`; return the parameters written."""
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    shards = math.ceil(cfg.users / SHARD_USERS)
    realized = Company(cfg).run() if shards <= 1 else _generate_in_shards(cfg, shards)
    params = {
        "seed": cfg.seed,
        "users": cfg.users,
        "start": cfg.start.isoformat(),
        "days": cfg.days,
        "end_exclusive": (cfg.start + timedelta(days=cfg.days)).isoformat(),
        "api_version_switch": api_switch_day(cfg).isoformat(),
        "shards": max(shards, 1),
        "planted": cfg.truths.as_dict(),
        "realized": realized,
    }
    (cfg.out_dir / PARAMS_FILE).write_text(json.dumps(params, indent=2) + "\n")
    return params


def _run_shard(cfg: GeneratorConfig, out_dir: Path, shard: int, shards: int) -> dict:
    return Company(cfg, out_dir, shard, shards).run()


def _generate_in_shards(cfg: GeneratorConfig, shards: int) -> dict:
    """Simulate the shards in parallel processes, each into its own scratch directory, then make each
    day's file the shards' files of that day one after the other (a gzip file may hold several
    members; gzip, Python and DuckDB read them as one stream). Files appear in the landing zone only
    when every shard is done."""
    scratch = cfg.out_dir / ".shards"
    shutil.rmtree(scratch, ignore_errors=True)
    merged = scratch / "merged"
    quiet = replace(cfg, progress=None)
    parts: list[dict] = []
    workers = min(shards, os.cpu_count() or 1)
    # fork where there is one: a worker then needs no re-import of the caller's main module (spawn
    # fails in a script without an `if __name__ == "__main__"` guard), and shares nothing but cfg
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
        futures = [pool.submit(_run_shard, quiet, scratch / f"{k:04d}", k, shards) for k in range(shards)]
        for k, future in enumerate(futures):  # in shard order, so each day's members are in shard order
            parts.append(future.result())
            for path in sorted((scratch / f"{k:04d}").glob("*/*.jsonl.gz")):
                target = merged / path.parent.name / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                with path.open("rb") as src, target.open("ab") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                path.unlink()
            if cfg.progress:
                written = sum(sum(part["events"].values()) for part in parts)
                cfg.progress(f"shard {k + 1}/{shards}: {written:,} events")
    files = sorted(merged.glob("*/*.jsonl.gz"))
    for path in files:
        target = cfg.out_dir / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
    shutil.rmtree(scratch)
    return _merge_realized(parts, len(files))


def _merge_realized(parts: list[dict], files: int) -> dict:
    """The shards' `realized` records as one company's: counts add up, month-end MRR adds up exactly
    (each shard's total is a sum of amounts rounded to 6 decimals), expected churn is rounded again."""

    def add(dicts: list[dict]) -> dict:
        total: dict = {}
        for d in dicts:
            for key, value in d.items():
                total[key] = total.get(key, 0) + value
        return total

    def by_key(name: str) -> dict[str, list[dict]]:
        grouped: dict[str, list[dict]] = {}
        for part in parts:
            for key, value in part[name].items():
                grouped.setdefault(key, []).append(value)
        return grouped

    mrr = {
        month: {c: f"{v:.6f}" for c, v in add([{c: Decimal(x) for c, x in m.items()} for m in months]).items()}
        for month, months in sorted(by_key("mrr_by_month_minor").items())
    }
    churn = {month: add(records) for month, records in sorted(by_key("churn_by_month").items())}
    for record in churn.values():
        record["expected_voluntary"] = round(record["expected_voluntary"], 6)
    return {
        "events": add([part["events"] for part in parts]),
        "files": files,
        "counts": dict(sorted(add([part["counts"] for part in parts]).items())),
        "mrr_by_month_minor": mrr,
        "churn_by_month": churn,
        "activation_by_variant": {v: add(records) for v, records in sorted(by_key("activation_by_variant").items())},
    }


def stderr_progress(message: str) -> None:
    print(f"  generate: {message}", file=sys.stderr, flush=True)
