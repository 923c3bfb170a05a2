{#- THE rule for normalising a recurring price to one month (used by every MRR model).
    amount_minor: integer amount per billing period in the currency's minor unit (unit price x quantity).
    month -> / interval_count; year -> / (12 x interval_count); week -> x 52 / (12 x interval_count);
    day -> x 365 / (12 x interval_count).
    The result is exact to 6 decimals of the minor unit, rounded half up, computed in integers so no
    engine's floating point touches money. -#}
{% macro monthly_amount(amount_minor, interval, interval_count) -%}
    {%- set numerator -%}
        (cast({{ amount_minor }} as bigint) * case {{ interval }} when 'week' then 52 when 'day' then 365 else 1 end)
    {%- endset -%}
    {%- set denominator -%}
        (cast(coalesce({{ interval_count }}, 1) as bigint) * case {{ interval }} when 'month' then 1 else 12 end)
    {%- endset -%}
    (cast({{ integer_divide(numerator ~ ' * 2000000 + ' ~ denominator, '2 * ' ~ denominator) }} as decimal(38, 0))
        * cast(0.000001 as decimal(7, 6)))
{%- endmacro %}
