{#- THE rule for taking lasting discounts off an amount (MRR, a renewal invoice).
    percent_off: the sum of the percent coupons in force (capped at 100); amount_off: the sum of the
    fixed-amount coupons in force, already in the amount's unit. Never below zero. `scale` is the
    number of decimals kept: 6 for MRR (exact), 0 for an invoice (Stripe rounds to the minor unit). -#}
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
