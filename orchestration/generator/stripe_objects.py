"""Builders for Stripe API objects in the shapes Stripe's webhooks deliver.

Two API versions are produced (see catalog.OLD_API_VERSION / NEW_API_VERSION) because real accounts
upgrade over time: in 2025 versions the billing period moved onto subscription items, `discount`
became a `discounts` list of discount ids, the invoice's `subscription` moved under `parent`, line
`proration` moved under `parent.subscription_item_details` and `tax` became `total_taxes`.
"""

from __future__ import annotations

from orchestration.generator.catalog import BILLING_TERMS, NEW_API_VERSION, price_id, unit_amount


def price(plan: str, term: str, currency: str, created: int) -> dict:
    interval, interval_count, _ = BILLING_TERMS[term]
    return {
        "id": price_id(plan, term, currency),
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "created": created,
        "currency": currency,
        "livemode": False,
        "lookup_key": f"{plan}_{term}",
        "metadata": {},
        "nickname": f"{plan.title()} {term}",
        "product": f"prod_{plan}",
        "recurring": {
            "interval": interval,
            "interval_count": interval_count,
            "usage_type": "licensed",
            "aggregate_usage": None,
            "trial_period_days": None,
        },
        "tax_behavior": "exclusive",
        "type": "recurring",
        "unit_amount": unit_amount(plan, term, currency),
        "unit_amount_decimal": str(unit_amount(plan, term, currency)),
    }


def customer(cus_id: str, created: int, email: str, name: str, currency: str, metadata: dict, country: str) -> dict:
    return {
        "id": cus_id,
        "object": "customer",
        "address": {"country": country, "city": None, "line1": None, "postal_code": None},
        "balance": 0,
        "created": created,
        "currency": currency,
        "delinquent": False,
        "description": None,
        "email": email,
        "invoice_prefix": cus_id[-8:].upper(),
        "livemode": False,
        "metadata": metadata,
        "name": name,
        "preferred_locales": ["en"],
        "tax_exempt": "none",
    }


def discount(
    discount_id: str,
    coupon_id: str,
    coupon: dict,
    customer_id: str,
    subscription_id: str,
    start: int,
    end: int | None,
    currency: str,
) -> dict:
    return {
        "id": discount_id,
        "object": "discount",
        "coupon": {
            "id": coupon_id,
            "object": "coupon",
            "amount_off": coupon.get("amount_off"),
            "currency": currency if coupon.get("amount_off") else None,
            "duration": coupon["duration"],
            "duration_in_months": coupon.get("duration_in_months"),
            "percent_off": coupon.get("percent_off"),
            "valid": True,
        },
        "customer": customer_id,
        "subscription": subscription_id,
        "start": start,
        "end": end,
        "invoice": None,
        "promotion_code": None,
    }


def subscription(sub: dict, api_version: str) -> dict:
    """Render the simulation's subscription state as the API version shapes it."""
    new_shape = api_version == NEW_API_VERSION
    item = {
        "id": sub["item_id"],
        "object": "subscription_item",
        "created": sub["created"],
        "metadata": {},
        "price": sub["price"],
        "quantity": sub["quantity"],
        "subscription": sub["id"],
        "tax_rates": [],
    }
    obj = {
        "id": sub["id"],
        "object": "subscription",
        "application_fee_percent": None,
        "automatic_tax": {"enabled": False},
        "billing_cycle_anchor": sub["billing_cycle_anchor"],
        "cancel_at": sub["cancel_at"],
        "cancel_at_period_end": sub["cancel_at_period_end"],
        "canceled_at": sub["canceled_at"],
        "cancellation_details": {
            "comment": None,
            "feedback": sub["cancel_feedback"],
            "reason": sub["cancel_reason"],
        },
        "collection_method": sub["collection_method"],
        "created": sub["created"],
        "currency": sub["currency"],
        "customer": sub["customer"],
        "days_until_due": 30 if sub["collection_method"] == "send_invoice" else None,
        "default_payment_method": sub["payment_method"],
        "ended_at": sub["ended_at"],
        "items": {
            "object": "list",
            "data": [item],
            "has_more": False,
            "total_count": 1,
            "url": f"/v1/subscription_items?subscription={sub['id']}",
        },
        "latest_invoice": sub["latest_invoice"],
        "livemode": False,
        "metadata": sub["metadata"],
        "pause_collection": None,
        "start_date": sub["start_date"],
        "status": sub["status"],
        "trial_end": sub["trial_end"],
        "trial_start": sub["trial_start"],
    }
    if new_shape:
        item["current_period_start"] = sub["current_period_start"]
        item["current_period_end"] = sub["current_period_end"]
        obj["discounts"] = [sub["discount"]["id"]] if sub["discount"] else []
    else:
        obj["current_period_start"] = sub["current_period_start"]
        obj["current_period_end"] = sub["current_period_end"]
        obj["discount"] = sub["discount"]
    return obj


def invoice(inv: dict, api_version: str) -> dict:
    new_shape = api_version == NEW_API_VERSION
    lines = []
    for line in inv["lines"]:
        rendered = {
            "id": line["id"],
            "object": "line_item",
            "amount": line["amount"],
            "currency": inv["currency"],
            "description": line["description"],
            "discountable": True,
            "period": {"start": line["period_start"], "end": line["period_end"]},
            "quantity": line["quantity"],
        }
        if new_shape:
            rendered["parent"] = {
                "type": "subscription_item_details",
                "subscription_item_details": {
                    "subscription": inv["subscription"],
                    "subscription_item": line["subscription_item"],
                    "proration": line["proration"],
                },
            }
            rendered["pricing"] = {"type": "price_details", "price_details": {"price": line["price_id"]}}
        else:
            rendered["proration"] = line["proration"]
            rendered["subscription"] = inv["subscription"]
            rendered["subscription_item"] = line["subscription_item"]
            rendered["price"] = {"id": line["price_id"], "object": "price"}
            rendered["type"] = "subscription"
        lines.append(rendered)
    obj = {
        "id": inv["id"],
        "object": "invoice",
        "account_country": "US",
        "amount_due": inv["amount_due"],
        "amount_paid": inv["amount_paid"],
        "amount_remaining": inv["amount_due"] - inv["amount_paid"],
        "attempt_count": inv["attempt_count"],
        "attempted": inv["attempt_count"] > 0,
        "billing_reason": inv["billing_reason"],
        "collection_method": inv["collection_method"],
        "created": inv["created"],
        "currency": inv["currency"],
        "customer": inv["customer"],
        "due_date": inv["due_date"],
        "lines": {
            "object": "list",
            "data": lines,
            "has_more": False,
            "total_count": len(lines),
            "url": f"/v1/invoices/{inv['id']}/lines",
        },
        "livemode": False,
        "next_payment_attempt": inv["next_payment_attempt"],
        "number": inv["number"],
        "paid": inv["status"] == "paid",
        "period_start": inv["period_start"],
        "period_end": inv["period_end"],
        "status": inv["status"],
        "status_transitions": inv["status_transitions"],
        "subtotal": inv["subtotal"],
        "total": inv["total"],
        "total_discount_amounts": [{"amount": inv["discount_amount"], "discount": inv["discount_id"]}]
        if inv["discount_amount"]
        else [],
    }
    if new_shape:
        obj["parent"] = {
            "type": "subscription_details",
            "subscription_details": {"subscription": inv["subscription"], "metadata": {}},
        }
        obj["total_taxes"] = (
            [{"amount": inv["tax"], "tax_behavior": "exclusive", "taxability_reason": "standard_rated"}]
            if inv["tax"]
            else []
        )
    else:
        obj["subscription"] = inv["subscription"]
        obj["tax"] = inv["tax"] if inv["tax"] else None
    return obj


def charge(ch_id: str, inv: dict, created: int, succeeded: bool, failure_code: str | None) -> dict:
    return {
        "id": ch_id,
        "object": "charge",
        "amount": inv["total"],
        "amount_captured": inv["total"] if succeeded else 0,
        "amount_refunded": 0,
        "captured": succeeded,
        "created": created,
        "currency": inv["currency"],
        "customer": inv["customer"],
        "failure_code": failure_code,
        "failure_message": "Your card was declined." if failure_code else None,
        "invoice": inv["id"],
        "livemode": False,
        "outcome": {
            "type": "authorized" if succeeded else "issuer_declined",
            "network_status": "approved_by_network" if succeeded else "declined_by_network",
        },
        "paid": succeeded,
        "payment_method": "pm_card_visa",
        "refunded": False,
        "status": "succeeded" if succeeded else "failed",
    }


def event(
    evt_id: str, event_type: str, created: int, obj: dict, api_version: str, previous_attributes: dict | None = None
) -> dict:
    data: dict = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": evt_id,
        "object": "event",
        "api_version": api_version,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
