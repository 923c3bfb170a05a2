{#- The exact median (interpolated between the two middle values), on every engine. -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'subscription_warehouse')(expression)) }}
{%- endmacro %}
{% macro default__median(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}
{% macro duckdb__median(expression) -%}
    quantile_cont({{ expression }}, 0.5)
{%- endmacro %}

{#- numerator / denominator rounded to `scale` decimals, NULL (never infinite) when the denominator is 0. -#}
{% macro safe_ratio(numerator, denominator, scale=6) -%}
    case when ({{ denominator }}) = 0 then null
        else cast(round(cast({{ numerator }} as double) / cast({{ denominator }} as double), {{ scale }})
            as decimal(18, {{ scale }}))
    end
{%- endmacro %}
