"""The simulated company's price book, coupons and the parameters it plants in the data.

Everything a test may want to recover is defined here, once, and written beside the data
(`generator_params.json`) by the writer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

CURRENCY_EXPONENT = {"usd": 2, "eur": 2, "jpy": 0}

# Monthly list price per seat, in each currency's minor unit (JPY has none).
SEAT_PRICE_MONTHLY = {
    "starter": {"usd": 1200, "eur": 1100, "jpy": 1800},
    "team": {"usd": 2900, "eur": 2700, "jpy": 4200},
    "business": {"usd": 5900, "eur": 5500, "jpy": 8600},
}
PLAN_ORDER = ["starter", "team", "business"]

# (interval, interval_count, price multiplier on the monthly price). Annual is 10 months for 12.
BILLING_TERMS = {
    "monthly": ("month", 1, 1),
    "quarterly": ("month", 3, 3),
    "annual": ("year", 1, 10),
}
TERM_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}

COUPONS = {
    "LAUNCH20": {"duration": "forever", "percent_off": 20.0, "duration_in_months": None},
    "FIRST3HALF": {"duration": "repeating", "percent_off": 50.0, "duration_in_months": 3},
    "WELCOME10": {"duration": "once", "percent_off": None, "amount_off": 1000, "duration_in_months": None},
}

ONBOARDING_STEPS = ["welcome", "profile_completed", "project_created", "teammate_invited"]
PERSONAS = ["team_lead", "engineer", "designer", "manager"]
CHANNELS = ["organic", "paid_search", "referral", "partner"]
COMPANY_SIZES = ["1-10", "11-50", "51-200", "201-1000"]
USAGE_EVENTS = ["File Uploaded", "File Shared", "Comment Added", "Dashboard Viewed", "Project Created"]

# The account's webhook API version changes during the simulated history: events before the switch
# use the 2024 shapes, after it the 2025 ones (billing period on items, `discounts` list, ...).
OLD_API_VERSION = "2024-06-20"
NEW_API_VERSION = "2025-03-31.basil"


def price_id(plan: str, term: str, currency: str) -> str:
    return f"price_{plan}_{term}_{currency}"


def unit_amount(plan: str, term: str, currency: str) -> int:
    return SEAT_PRICE_MONTHLY[plan][currency] * BILLING_TERMS[term][2]


@dataclass(frozen=True)
class Truths:
    """Planted parameters. Tests check that the marts recover them."""

    experiment_id: str = "onboarding_2024"
    activation_rate: dict = field(default_factory=lambda: {"control": 0.30, "guided": 0.45})
    activation_window_days: int = 7
    trial_days: int = 14
    trial_conversion: dict = field(default_factory=lambda: {"activated": 0.60, "not_activated": 0.15})
    # Monthly cancel hazard of a paying account; "disengaged" once its owner stopped using the product.
    monthly_churn: dict = field(default_factory=lambda: {"activated": 0.02, "not_activated": 0.07, "disengaged": 0.15})
    plan_mix: dict = field(default_factory=lambda: {"starter": 0.5, "team": 0.35, "business": 0.15})
    term_mix: dict = field(default_factory=lambda: {"monthly": 0.75, "quarterly": 0.05, "annual": 0.20})
    currency_mix: dict = field(default_factory=lambda: {"usd": 0.6, "eur": 0.3, "jpy": 0.1})
    coupon_rate: dict = field(default_factory=lambda: {"LAUNCH20": 0.10, "FIRST3HALF": 0.05, "WELCOME10": 0.05})
    monthly_upgrade_rate: float = 0.04
    monthly_downgrade_rate: float = 0.02
    payment_failure_rate: float = 0.06
    payment_recovery_rate: float = 0.5
    reactivation_rate: float = 0.25
    invite_acceptance_rate: float = 0.5
    send_invoice_share_business: float = 0.4

    def as_dict(self) -> dict:
        return asdict(self)
