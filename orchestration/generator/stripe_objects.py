"""Builders for Stripe API objects in the shapes Stripe's webhooks deliver.

Two API versions are produced (see catalog.OLD_API_VERSION / NEW_API_VERSION) because real accounts
upgrade over time: in 2025 versions the billing period moved onto subscription items, `discount`
became a `discounts` list of discount ids, the invoice's `subscription` moved under `parent`, line
`proration` moved under `parent.subscription_item_details` and `tax` became `total_taxes`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.generator.catalog import BILLING_TERMS, NEW_API_VERSION, price_id, unit_amount
from orchestration.generator.text_columns import digits, fixed_width


@functools.cache
def price(plan: str, term: str, currency: str, created: int) -> dict:
    """The catalog's price object, made once: subscriptions share it, and nothing changes it."""
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


# -- the same objects as JSON text ---------------------------------------------------------------
# Subscription and invoice events are two thirds of the Stripe events; building their dicts and
# dumping them took 7.3 and 6.1 us an object, these functions 3.8 and 2.2 (the text between the fields
# that change is made once per object). They write the text `orjson.dumps` writes for the dicts
# above, field for field (tests/test_generator.py pins them to the dicts byte for byte over a whole
# generated company). Ids, statuses and reasons are the generator's own ASCII words and go in as
# they are; any other text goes through orjson.


def _num(value: int | None) -> str | int:
    return "null" if value is None else value


def _text(value: str | None) -> str:
    return "null" if value is None else orjson.dumps(value).decode()


def _bool(value: bool) -> str:
    return "true" if value else "false"


_PRICE_JSON: dict[tuple[str, int], str] = {}


def _price_json(price_obj: dict) -> str:
    """A price object's JSON text: `price` makes the same object for the same id and time (a few
    dozen prices, kept)."""
    key = (price_obj["id"], price_obj["created"])
    text = _PRICE_JSON.get(key)
    if text is None:
        text = _PRICE_JSON[key] = orjson.dumps(price_obj).decode()
    return text


def subscription_json(sub: dict, api_version: str) -> str:
    """`orjson.dumps(subscription(sub, api_version))`, as text."""
    key = (api_version, sub["price"]["id"], sub["quantity"])
    kept = sub.get("_json")
    if kept is None or kept[0] != key:
        kept = sub["_json"] = (key, _subscription_parts(sub, api_version))
    head, after_cancel, item, after_items, after_status, trial, discount = kept[1]
    period = f'"current_period_start":{sub["current_period_start"]},"current_period_end":{sub["current_period_end"]}'
    if api_version == NEW_API_VERSION:  # the period is the item's
        item = f"{item},{period}"
    else:  # the subscription's
        trial = f"{trial},{period}"
    return (
        f'{head}{_num(sub["cancel_at"])},"cancel_at_period_end":{_bool(sub["cancel_at_period_end"])},'
        f'"canceled_at":{_num(sub["canceled_at"])},"cancellation_details":{{"comment":null,'
        f'"feedback":{_text(sub["cancel_feedback"])},"reason":{_text(sub["cancel_reason"])}}}'
        f"{after_cancel}{_num(sub['ended_at'])}{item}{after_items}{_text(sub['latest_invoice'])}"
        f"{after_status}{sub['status']}{trial}{discount}}}"
    )


def _subscription_parts(sub: dict, api_version: str) -> tuple[str, ...]:
    """The text between a subscription's fields that change (status, cancellation, end, periods,
    latest invoice): made once per subscription, API version, price and quantity."""
    sub_id, discount_obj, collection = sub["id"], sub["discount"], sub["collection_method"]
    if api_version == NEW_API_VERSION:
        discount = f',"discounts":["{discount_obj["id"]}"]' if discount_obj else ',"discounts":[]'
    else:
        discount = f',"discount":{orjson.dumps(discount_obj).decode()}'
    return (
        f'{{"id":"{sub_id}","object":"subscription","application_fee_percent":null,'
        f'"automatic_tax":{{"enabled":false}},"billing_cycle_anchor":{sub["billing_cycle_anchor"]},"cancel_at":',
        f',"collection_method":"{collection}","created":{sub["created"]},"currency":"{sub["currency"]}",'
        f'"customer":"{sub["customer"]}","days_until_due":{30 if collection == "send_invoice" else "null"},'
        f'"default_payment_method":{_text(sub["payment_method"])},"ended_at":',
        f',"items":{{"object":"list","data":[{{"id":"{sub["item_id"]}","object":"subscription_item",'
        f'"created":{sub["created"]},"metadata":{{}},"price":{_price_json(sub["price"])},'
        f'"quantity":{sub["quantity"]},"subscription":"{sub_id}","tax_rates":[]',
        f'}}],"has_more":false,"total_count":1,"url":"/v1/subscription_items?subscription={sub_id}"}},'
        f'"latest_invoice":',
        f',"livemode":false,"metadata":{orjson.dumps(sub["metadata"]).decode()},"pause_collection":null,'
        f'"start_date":{sub["start_date"]},"status":"',
        f'","trial_end":{_num(sub["trial_end"])},"trial_start":{_num(sub["trial_start"])}',
        discount,
    )


def invoice_json(inv: dict, api_version: str) -> str:
    """`orjson.dumps(invoice(inv, api_version))`, as text."""
    kept = inv.get("_json")
    if kept is None or kept[0] != api_version:
        kept = inv["_json"] = (api_version, _invoice_parts(inv, api_version))
    head, after_attempted, after_number, after_status, tail = kept[1]
    paid, attempts, transitions = inv["amount_paid"], inv["attempt_count"], inv["status_transitions"]
    return (
        f'{head}{paid},"amount_remaining":{inv["amount_due"] - paid},"attempt_count":{attempts},'
        f'"attempted":{_bool(attempts > 0)}{after_attempted}{_num(inv["next_payment_attempt"])}'
        f'{after_number}{_bool(inv["status"] == "paid")}{after_status}{inv["status"]}",'
        f'"status_transitions":{{"finalized_at":{_num(transitions["finalized_at"])},'
        f'"paid_at":{_num(transitions["paid_at"])}}}{tail}}}'
    )


def _invoice_parts(inv: dict, api_version: str) -> tuple[str, ...]:
    """The text between an invoice's fields that change (payment, attempts, status): made once per
    invoice and API version."""
    inv_id, sub_id, tax = inv["id"], inv["subscription"], inv["tax"]
    if api_version == NEW_API_VERSION:
        taxes = f'[{{"amount":{tax},"tax_behavior":"exclusive","taxability_reason":"standard_rated"}}]' if tax else "[]"
        tail = (
            f',"parent":{{"type":"subscription_details","subscription_details":{{"subscription":"{sub_id}",'
            f'"metadata":{{}}}}}},"total_taxes":{taxes}'
        )
    else:
        tail = f',"subscription":"{sub_id}","tax":{tax if tax else "null"}'
    discounts = (
        f'[{{"amount":{inv["discount_amount"]},"discount":{_text(inv["discount_id"])}}}]'
        if inv["discount_amount"]
        else "[]"
    )
    return (
        f'{{"id":"{inv_id}","object":"invoice","account_country":"US","amount_due":{inv["amount_due"]},"amount_paid":',
        f',"billing_reason":"{inv["billing_reason"]}","collection_method":"{inv["collection_method"]}",'
        f'"created":{inv["created"]},"currency":"{inv["currency"]}","customer":"{inv["customer"]}",'
        f'"due_date":{_num(inv["due_date"])},'
        f'"lines":{{"object":"list","data":[{_invoice_lines_json(inv, api_version)}],'
        f'"has_more":false,"total_count":{len(inv["lines"])},"url":"/v1/invoices/{inv_id}/lines"}},'
        f'"livemode":false,"next_payment_attempt":',
        f',"number":"{inv["number"]}","paid":',
        f',"period_start":{inv["period_start"]},"period_end":{inv["period_end"]},"status":"',
        f',"subtotal":{inv["subtotal"]},"total":{inv["total"]},"total_discount_amounts":{discounts}{tail}',
    )


def _invoice_lines_json(inv: dict, api_version: str) -> str:
    """The JSON text of an invoice's line items."""
    new_shape = api_version == NEW_API_VERSION
    rendered = []
    for line in inv["lines"]:
        head = (
            f'{{"id":"{line["id"]}","object":"line_item","amount":{line["amount"]},"currency":"{inv["currency"]}",'
            f'"description":{_text(line["description"])},"discountable":true,'
            f'"period":{{"start":{line["period_start"]},"end":{line["period_end"]}}},"quantity":{line["quantity"]}'
        )
        if new_shape:
            rendered.append(
                f'{head},"parent":{{"type":"subscription_item_details","subscription_item_details":'
                f'{{"subscription":"{inv["subscription"]}","subscription_item":"{line["subscription_item"]}",'
                f'"proration":{_bool(line["proration"])}}}}},'
                f'"pricing":{{"type":"price_details","price_details":{{"price":"{line["price_id"]}"}}}}}}'
            )
        else:
            rendered.append(
                f'{head},"proration":{_bool(line["proration"])},"subscription":"{inv["subscription"]}",'
                f'"subscription_item":"{line["subscription_item"]}",'
                f'"price":{{"id":"{line["price_id"]}","object":"price"}},"type":"subscription"}}'
            )
    return ",".join(rendered)


class Events:
    """The Stripe events of a simulated day, kept until it ends and then formatted together: the
    simulation hands each event's object as JSON text, Arrow joins it with the event's own fields
    (the line `orjson.dumps(event(...))` writes, and a newline)."""

    def __init__(self) -> None:
        self.events: list = []  # per event: created, type, object, API version, previous attributes

    def add(
        self, created: int, event_type: str, obj_json: str, api_version: str, previous_attributes: dict | None
    ) -> None:
        previous = ""
        if previous_attributes is not None:
            previous = f',"previous_attributes":{orjson.dumps(previous_attributes).decode()}'
        self.events.extend((created, event_type, obj_json, api_version, previous))

    def lines(self, numbers: Callable[[int], np.ndarray], id_prefix: str) -> tuple[np.ndarray, pa.Array]:
        """The events added since the last `lines`, in that order, and forget them: each one's time
        and its JSON line with its newline (an Arrow binary array). `numbers(n)` gives the next n
        numbers of event ids, which are `id_prefix` and the number in 11 digits."""
        events, self.events = self.events, []
        created = np.array(events[0::5], dtype=np.int64)
        if not len(created):
            return created, pa.array([], pa.binary())
        event_id = fixed_width([id_prefix.encode(), digits(numbers(len(created)))])
        line = pc.binary_join_element_wise(
            '{"id":"',
            event_id,
            '","object":"event","api_version":"',
            pa.array(events[3::5], pa.string()),
            '","created":',
            pa.array(created).cast(pa.string()),
            ',"data":{"object":',
            pa.array(events[2::5], pa.string()),
            pa.array(events[4::5], pa.string()),
            '},"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"',
            pa.array(events[1::5], pa.string()),
            '"}\n',
            "",
        )
        return created, line.cast(pa.binary())
