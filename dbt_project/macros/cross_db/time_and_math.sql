{#- Unix seconds (Stripe's `created`, `current_period_end`, ...) to a UTC timestamp. -#}
{% macro epoch_to_timestamp(column) -%}
    {{ return(adapter.dispatch('epoch_to_timestamp', 'subscription_warehouse')(column)) }}
{%- endmacro %}
{% macro default__epoch_to_timestamp(column) -%}
    cast(timestamp_seconds(cast({{ column }} as bigint)) as timestamp)
{%- endmacro %}
{% macro duckdb__epoch_to_timestamp(column) -%}
    make_timestamp(cast({{ column }} as bigint) * 1000000)
{%- endmacro %}

{#- An ISO-8601 string with any offset (Segment's `timestamp`) to a UTC timestamp. -#}
{% macro iso_to_timestamp(column) -%}
    {{ return(adapter.dispatch('iso_to_timestamp', 'subscription_warehouse')(column)) }}
{%- endmacro %}
{% macro default__iso_to_timestamp(column) -%}
    cast(to_utc_timestamp(cast({{ column }} as timestamp), 'UTC') as timestamp)
{%- endmacro %}
{% macro duckdb__iso_to_timestamp(column) -%}
    cast(try_cast({{ column }} as timestamptz) as timestamp)
{%- endmacro %}

{#- Integer division (floor for non-negative operands). -#}
{% macro integer_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('integer_divide', 'subscription_warehouse')(numerator, denominator)) }}
{%- endmacro %}
{% macro default__integer_divide(numerator, denominator) -%}
    (({{ numerator }}) div ({{ denominator }}))
{%- endmacro %}
{% macro duckdb__integer_divide(numerator, denominator) -%}
    (({{ numerator }}) // ({{ denominator }}))
{%- endmacro %}

{#- An exact integer type wider than bigint, for products of counts and amounts before a division. -#}
{% macro wide_integer() -%}
    {{ return(adapter.dispatch('wide_integer', 'subscription_warehouse')()) }}
{%- endmacro %}
{% macro default__wide_integer() -%}
    decimal(38, 0)
{%- endmacro %}
{% macro duckdb__wide_integer() -%}
    hugeint
{%- endmacro %}
