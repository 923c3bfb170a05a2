{#- dbt-spark's own dateadd / datediff truncate timestamps to whole seconds (Segment timestamps carry
    milliseconds) and raise an error on a NULL argument (`assert_not_null`), where DuckDB keeps the
    fraction and returns NULL. These keep Spark's answers identical to DuckDB's. dbt finds them first
    through the `dispatch` setting in dbt_project.yml. -#}

{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart | upper }}, cast({{ interval }} as int), {{ from_date_or_timestamp }})
{%- endmacro %}

{#- DuckDB's date_diff counts the boundaries crossed between the two (truncating both to the part). -#}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- if datepart == 'day' -%}
        datediff(cast({{ second_date }} as date), cast({{ first_date }} as date))
    {%- elif datepart == 'month' -%}
        ((year({{ second_date }}) - year({{ first_date }})) * 12 + month({{ second_date }}) - month({{ first_date }}))
    {%- elif datepart == 'year' -%}
        (year({{ second_date }}) - year({{ first_date }}))
    {%- elif datepart in ('hour', 'minute', 'second') -%}
        {%- set seconds = {'hour': 3600, 'minute': 60, 'second': 1}[datepart] -%}
        (floor(unix_timestamp({{ second_date }}) / {{ seconds }}) - floor(unix_timestamp({{ first_date }}) / {{ seconds }}))
    {%- else -%}
        {{ exceptions.raise_compiler_error("datediff by " ~ datepart ~ " is not implemented for Spark here") }}
    {%- endif -%}
{%- endmacro %}
