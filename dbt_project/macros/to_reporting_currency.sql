{#- THE conversion of an amount in a currency's minor units into the reporting currency: x 10^-exponent
    (minor_unit_factor from seeds/currencies.csv) x the month's rate (int_fx_rates_by_month), rounded to
    the cent once. Every money column of the marts goes through here.
    The operands are cast so that every product fits 38 digits exactly (amounts up to 10^12 major
    units, 6 decimals of minor units, rates up to 10^8 with 8 decimals): Spark otherwise drops scale
    from a product wider than 38 digits, rounds it, and the second rounding moves a cent. -#}
{% macro to_reporting_currency(amount_minor, minor_unit_factor, rate) -%}
    cast(round(
        cast(cast({{ amount_minor }} as decimal(24, 6)) * cast({{ minor_unit_factor }} as decimal(4, 3)) as decimal(21, 9))
        * cast({{ rate }} as decimal(16, 8)),
        2
    ) as decimal(18, 2))
{%- endmacro %}
