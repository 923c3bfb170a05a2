{#- THE rule for taking discounts off a billing period's amount (before it is normalised to a month, so
    MRR is rounded once). percent_off: the sum of the percent coupons in force (capped at 100);
    amount_off: the sum of the fixed-amount coupons in force, same unit as the amount. Never below zero.
    `scale`: decimals kept; 6 for MRR (exact for an integer amount and a 4-decimal percent), 0 for an
    invoice (Stripe rounds to the minor unit). -#}
{% macro apply_discounts(amount, percent_off, amount_off, scale=6) -%}
    greatest(
        round(
            {{ amount }}
            * cast(100 - least(coalesce({{ percent_off }}, 0), 100) as decimal(9, 4))
            * cast(0.01 as decimal(3, 2)),
            {{ scale }}
        ) - coalesce({{ amount_off }}, 0),
        0
    )
{%- endmacro %}
