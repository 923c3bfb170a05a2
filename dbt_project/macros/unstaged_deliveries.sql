{#- The raw rows an incremental staging model has yet to stage. A full build takes every row. An
    incremental run takes the rows loaded since the newest staged one, less a lookback
    (var incremental_lookback_hours). The window runs on our own load time, not the event's time, so
    a late event is new whatever its timestamp says. Rows whose id is already staged stay out: the
    first delivery won before, and a redelivery changes nothing. Feed the result to first_delivery(). -#}
{% macro unstaged_deliveries(relation, staged_id_column='event_id') -%}
    {%- set lookback_hours = positive_int(var('incremental_lookback_hours'), 'incremental_lookback_hours') | int -%}
    select raw_rows.*
    from {{ relation }} as raw_rows
    {%- if is_incremental() %}
        where
            raw_rows.loaded_at >= (
                select coalesce(
                    {{ dbt.dateadd('hour', -lookback_hours, 'max(staged.loaded_at)') }},
                    cast('1970-01-01' as timestamp)
                )
                from {{ this }} as staged
            )
            and not exists (
                select 1 from {{ this }} as staged
                where staged.{{ staged_id_column }} = raw_rows.event_id
            )
    {%- endif %}
{%- endmacro %}
