"""Hand-written Stripe Event objects (2024-06-20 shape) for customers whose MRR is computed by hand."""

import json
from datetime import UTC, datetime
from pathlib import Path


def ts(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())


def price(price_id: str, currency: str, unit_amount: int, interval: str = "month", count: int = 1) -> dict:
    return {
        "id": price_id,
        "object": "price",
        "currency": currency,
        "unit_amount": unit_amount,
        "type": "recurring",
        "product": "prod_hand",
        "billing_scheme": "per_unit",
        "recurring": {"interval": interval, "interval_count": count, "usage_type": "licensed"},
    }


def subscription(
    sub_id: str,
    customer: str,
    status: str,
    prc: dict,
    quantity: int,
    start: str,
    period_start: str,
    period_end: str,
    discount: dict | None = None,
    **extra,
) -> dict:
    obj = {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "currency": prc["currency"],
        "created": ts(start),
        "start_date": ts(start),
        "current_period_start": ts(period_start),
        "current_period_end": ts(period_end),
        "cancel_at_period_end": False,
        "cancel_at": None,
        "canceled_at": None,
        "ended_at": None,
        "cancellation_details": {"reason": None, "feedback": None, "comment": None},
        "trial_start": None,
        "trial_end": None,
        "pause_collection": None,
        "discount": discount,
        "collection_method": "charge_automatically",
        "metadata": {},
        "items": {
            "object": "list",
            "has_more": False,
            "total_count": 1,
            "data": [{"id": f"si_{sub_id}", "object": "subscription_item", "quantity": quantity, "price": prc}],
        },
    }
    obj.update(extra)
    return obj


def event(n: int, event_type: str, created: str, obj: dict) -> dict:
    return {
        "id": f"evt_hand_{n:04d}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": ts(created),
        "type": event_type,
        "livemode": False,
        "data": {"object": obj},
    }


def hand_computed_events() -> list[dict]:
    team_usd = price("price_hand_team_usd", "usd", 2900)
    annual_eur = price("price_hand_annual_eur", "eur", 12000, "year")
    team_jpy = price("price_hand_team_jpy", "jpy", 4200)
    starter_usd = price("price_hand_starter_usd", "usd", 1200)
    forever20 = {
        "id": "di_hand_c",
        "object": "discount",
        "start": ts("2024-01-10"),
        "end": None,
        "coupon": {"id": "LAUNCH20", "duration": "forever", "percent_off": 20.0, "amount_off": None},
    }
    a = dict(sub_id="sub_hand_a", customer="cus_hand_a", prc=team_usd, start="2024-01-15")
    events = [
        # A: 3 seats from Jan 15, 5 seats from Feb 10, cancels at period end, ends Mar 15.
        (
            "customer.subscription.created",
            "2024-01-15",
            subscription(**a, status="active", quantity=3, period_start="2024-01-15", period_end="2024-02-15"),
        ),
        (
            "customer.subscription.updated",
            "2024-02-10",
            subscription(**a, status="active", quantity=5, period_start="2024-01-15", period_end="2024-02-15"),
        ),
        (
            "customer.subscription.updated",
            "2024-02-15",
            subscription(**a, status="active", quantity=5, period_start="2024-02-15", period_end="2024-03-15"),
        ),
        (
            "customer.subscription.updated",
            "2024-03-05",
            subscription(
                **a,
                status="active",
                quantity=5,
                period_start="2024-02-15",
                period_end="2024-03-15",
                cancel_at_period_end=True,
                cancel_at=ts("2024-03-15"),
                canceled_at=ts("2024-03-05"),
            ),
        ),
        (
            "customer.subscription.deleted",
            "2024-03-15",
            subscription(
                **a,
                status="canceled",
                quantity=5,
                period_start="2024-02-15",
                period_end="2024-03-15",
                cancel_at_period_end=True,
                canceled_at=ts("2024-03-05"),
                ended_at=ts("2024-03-15"),
            ),
        ),
        # B: EUR 120.00 a year from Jan 20: 10.00 EUR a month.
        (
            "customer.subscription.created",
            "2024-01-20",
            subscription("sub_hand_b", "cus_hand_b", "active", annual_eur, 1, "2024-01-20", "2024-01-20", "2025-01-20"),
        ),
        # C: JPY 4200 x 2 seats with a forever 20% coupon: 6720 yen a month.
        (
            "customer.subscription.created",
            "2024-01-10",
            subscription(
                "sub_hand_c",
                "cus_hand_c",
                "active",
                team_jpy,
                2,
                "2024-01-10",
                "2024-01-10",
                "2024-02-10",
                discount=forever20,
            ),
        ),
        # D: a trial that never converts: never any MRR.
        (
            "customer.subscription.created",
            "2024-01-12",
            subscription(
                "sub_hand_d",
                "cus_hand_d",
                "trialing",
                team_usd,
                1,
                "2024-01-12",
                "2024-01-12",
                "2024-01-26",
                trial_start=ts("2024-01-12"),
                trial_end=ts("2024-01-26"),
            ),
        ),
        (
            "customer.subscription.deleted",
            "2024-01-26",
            subscription(
                "sub_hand_d",
                "cus_hand_d",
                "canceled",
                team_usd,
                1,
                "2024-01-12",
                "2024-01-12",
                "2024-01-26",
                ended_at=ts("2024-01-26"),
            ),
        ),
        # E: pays Jan, ends Feb 5, nothing in March (a gap), comes back Apr 10 on a new subscription.
        (
            "customer.subscription.created",
            "2024-01-05",
            subscription(
                "sub_hand_e1", "cus_hand_e", "active", starter_usd, 1, "2024-01-05", "2024-01-05", "2024-02-05"
            ),
        ),
        (
            "customer.subscription.deleted",
            "2024-02-05",
            subscription(
                "sub_hand_e1",
                "cus_hand_e",
                "canceled",
                starter_usd,
                1,
                "2024-01-05",
                "2024-01-05",
                "2024-02-05",
                ended_at=ts("2024-02-05"),
            ),
        ),
        (
            "customer.subscription.created",
            "2024-04-10",
            subscription(
                "sub_hand_e2", "cus_hand_e", "active", starter_usd, 1, "2024-04-10", "2024-04-10", "2024-05-10"
            ),
        ),
    ]
    return [event(n, kind, day, obj) for n, (kind, day, obj) in enumerate(events)]


def write_hand_computed(landing: Path) -> Path:
    path = landing / "stripe" / "hand_computed.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    # delivered out of order, as webhooks are
    lines = [json.dumps(e) for e in reversed(hand_computed_events())]
    path.write_text("\n".join(lines) + "\n")
    return path
