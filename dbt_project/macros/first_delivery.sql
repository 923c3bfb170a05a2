{#- THE delivery dedupe rule for at-least-once sources: keep one row per event id, the first copy
    loaded (then by landing file and line), so a redelivery never changes what is staged. -#}
{% macro first_delivery(relation, id_column='event_id') -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ id_column }} order by loaded_at, source_file, line_number
            ) as delivery_rank
        from {{ relation }}
    ) as deliveries
    where delivery_rank = 1
{%- endmacro %}
