{#- THE "latest known state" rule for Stripe objects: of the events carrying an object of
    `object_type`, keep the newest per object id (ties on the same second broken by event id), so the
    object looks as its last event showed it. Models with their own tie-breaks (customers: a deletion
    wins; prices and discounts: several sources) rank themselves. -#}
{% macro latest_object_state(events_relation, object_type) -%}
    select *
    from (
        select
            *,
            row_number() over (partition by object_id order by created_unix desc, event_id desc) as recency_rank
        from {{ events_relation }}
        where object_type = '{{ object_type }}'
    ) as ranked
    where recency_rank = 1
{%- endmacro %}
