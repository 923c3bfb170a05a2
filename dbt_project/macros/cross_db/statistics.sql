{#- The exact median (interpolated between the two middle values), on every engine. -#}
{% macro median(expression) -%}
    {{ percentile_cont(expression, 0.5) }}
{%- endmacro %}

{#- The continuous (interpolated) percentile `fraction` (0..1) of `expression`, on every engine. -#}
{% macro percentile_cont(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'subscription_warehouse')(expression, fraction)) }}
{%- endmacro %}
{% macro default__percentile_cont(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}
{% macro duckdb__percentile_cont(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{#- numerator / denominator rounded to `scale` decimals, NULL (never infinite) when the denominator is 0.
    Both operands must be whole hundredths (counts, money in major units): see divide_half_up. -#}
{% macro safe_ratio(numerator, denominator, scale=6) -%}
    {{ divide_half_up(numerator, denominator, scale) }}
{%- endmacro %}

{#- numerator / denominator rounded half away from zero to `scale` decimals, as decimal(18, scale); NULL
    when the denominator is 0. Computed in integers, so every engine gives the same digits: a double
    quotient that is a half in decimal (442,242 s / 3600 = 122.845 h) is a hair below it in binary, and
    DuckDB 2.0.1 rounds that down where Spark rounds it up. Both operands must be whole multiples of
    10^-input_decimals (counts and money with cents: 2; a median of whole seconds: 1). -#}
{% macro divide_half_up(numerator, denominator, scale=6, input_decimals=2) -%}
    {#- The operands in units of 10^-input_decimals, as exact integers. Spark types a product of decimals
        with precision p1 + p2 + 1 and drops scale (rounding) beyond 38 digits, and an integer literal is a
        decimal(10, 0): so decimal(27, x) here, and the quotient is a decimal(20, 0) below. -#}
    {%- set as_units = 'cast(cast(cast((%s) as decimal(27, ' ~ input_decimals ~ ')) * ' ~ 10 ** input_decimals
        ~ ' as decimal(38, 0)) as ' ~ wide_integer() ~ ')' -%}
    {%- set n = as_units | format(numerator) -%}
    {%- set d = as_units | format(denominator) -%}
    case when {{ d }} = 0 then null
        else cast(
            cast(
                case when ({{ n }} < 0) = ({{ d }} < 0) then 1 else -1 end
                * {{ integer_divide('2 * abs(' ~ n ~ ') * ' ~ 10 ** scale ~ ' + abs(' ~ d ~ ')', '2 * abs(' ~ d ~ ')') }}
                as decimal(20, 0))
            * {{ '1' if scale == 0 else 'cast(0.' ~ '0' * (scale - 1) ~ '1 as decimal(' ~ (scale + 1) ~ ', ' ~ scale ~ '))' }}
            as decimal(18, {{ scale }}))
    end
{%- endmacro %}

{#- A duration in hours, rounded half up to the hundredth: the rule of every hours column of the marts.
    `seconds`: whole seconds, or (input_decimals=1) a median or percentile of them, whole tenths. -#}
{% macro seconds_as_hours(seconds, input_decimals=0) -%}
    cast({{ divide_half_up(seconds, 3600, scale=2, input_decimals=input_decimals) }} as decimal(12, 2))
{%- endmacro %}

{#- Two-sided p-value of a standard normal statistic `z`: erfc(|z| / sqrt(2)), with Abramowitz and
    Stegun's 7.1.26 approximation (absolute error below 1.5e-7). Plain arithmetic, so every engine
    gives the same value. -#}
{% macro two_sided_p_value(z) -%}
    (
        (0.254829592 * (1.0 / (1.0 + 0.3275911 * abs({{ z }}) / sqrt(2.0)))
        - 0.284496736 * power(1.0 / (1.0 + 0.3275911 * abs({{ z }}) / sqrt(2.0)), 2)
        + 1.421413741 * power(1.0 / (1.0 + 0.3275911 * abs({{ z }}) / sqrt(2.0)), 3)
        - 1.453152027 * power(1.0 / (1.0 + 0.3275911 * abs({{ z }}) / sqrt(2.0)), 4)
        + 1.061405429 * power(1.0 / (1.0 + 0.3275911 * abs({{ z }}) / sqrt(2.0)), 5))
        * exp(-({{ z }}) * ({{ z }}) / 2.0)
    )
{%- endmacro %}

{#- Wilson score interval bound (side = -1 lower, +1 upper) for `successes` out of `trials` at the
    normal quantile `z` (1.959964 for 95%). NULL when trials = 0. -#}
{% macro wilson_bound(successes, trials, side, z=1.959964) -%}
    case when ({{ trials }}) > 0 then
        (
            cast({{ successes }} as double) / ({{ trials }}) + {{ z }} * {{ z }} / (2.0 * ({{ trials }}))
            + ({{ side }}) * {{ z }} * sqrt(
                (cast({{ successes }} as double) / ({{ trials }}))
                * (1 - cast({{ successes }} as double) / ({{ trials }})) / ({{ trials }})
                + {{ z }} * {{ z }} / (4.0 * ({{ trials }}) * ({{ trials }}))
            )
        ) / (1 + {{ z }} * {{ z }} / ({{ trials }}))
    end
{%- endmacro %}

{#- The value of `value` on the row whose `order_columns` (a list, compared left to right) are the
    greatest, skipping rows where `value` is NULL: "the latest known value" as one aggregate, where a
    row_number() window would sort every row. The order columns must not be NULL. -#}
{% macro max_by(value, order_columns) -%}
    {{ return(adapter.dispatch('max_by', 'subscription_warehouse')(value, order_columns)) }}
{%- endmacro %}
{% macro default__max_by(value, order_columns) -%}
    max_by({{ value }}, case when {{ value }} is not null then struct({{ order_columns | join(', ') }}) end)
{%- endmacro %}
{% macro duckdb__max_by(value, order_columns) -%}
    arg_max({{ value }}, case when {{ value }} is not null then row({{ order_columns | join(', ') }}) end)
{%- endmacro %}
