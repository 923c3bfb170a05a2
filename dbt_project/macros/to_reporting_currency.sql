{#- THE conversion of an amount in a currency's minor units into the reporting currency: x 10^-exponent
    (minor_unit_factor from seeds/currencies.csv) x the month's rate (int_fx_rates_by_month), rounded to
    the cent once. Every money column of the marts goes through here. -#}
{% macro to_reporting_currency(amount_minor, minor_unit_factor, rate) -%}
    cast(round({{ amount_minor }} * {{ minor_unit_factor }} * {{ rate }}, 2) as decimal(18, 2))
{%- endmacro %}
