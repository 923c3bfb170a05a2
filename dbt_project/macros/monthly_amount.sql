{#- THE rule for normalising a recurring amount to one month (used by every MRR model).
    amount_minor: amount per billing period in the currency's minor unit (unit price x quantity, after
    discounts), with at most 6 decimals.
    month -> / interval_count; year -> / (12 x interval_count); week -> x 52 / (12 x interval_count);
    day -> x 365 / (12 x interval_count).
    The result is exact to 6 decimals of the minor unit, rounded half up once, computed in integers so no
    engine's floating point touches money. -#}
{% macro monthly_amount(amount_minor, interval, interval_count) -%}
    {%- set numerator -%}
        (cast(round({{ amount_minor }} * 1000000, 0) as bigint)
            * case {{ interval }} when 'week' then 52 when 'day' then 365 else 1 end)
    {%- endset -%}
    {%- set denominator -%}
        (cast(coalesce({{ interval_count }}, 1) as bigint) * case {{ interval }} when 'month' then 1 else 12 end)
    {%- endset -%}
    (cast({{ integer_divide('2 * ' ~ numerator ~ ' + ' ~ denominator, '2 * ' ~ denominator) }} as decimal(38, 0))
        * cast(0.000001 as decimal(7, 6)))
{%- endmacro %}
