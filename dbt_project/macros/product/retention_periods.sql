{#- The periods user_retention reports, per period unit: [days in a period, last period number].
    Periods count calendar days from the signup day (day 0): week n is days 7n..7n+6, month n is days
    30n..30n+29. -#}
{% macro retention_periods() -%}
    {{- return({'day': [1, 90], 'week': [7, 104], 'month': [30, 36]}) -}}
{%- endmacro %}
