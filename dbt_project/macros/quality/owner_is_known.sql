{#- Whether the owner an event of `source` points at (`owner_id`) is known to the warehouse: a
    Stripe customer with a customer event or a subscription, a Segment userId that sent an identify.
    An event whose owner is not known is an orphan (int_orphan_events_identified, which also forgets
    its held orphans by this rule once their owner arrives). A NULL owner is never known. -#}
{% macro owner_is_known(source, owner_id) -%}
    {%- if source == 'stripe' -%}
    (
        exists (
            select 1 from {{ ref('stg_stripe__customers') }} as known
            where known.customer_id = {{ owner_id }}
        )
        or exists (
            select 1 from {{ ref('stg_stripe__subscription_snapshots') }} as known
            where known.customer_id = {{ owner_id }}
        )
    )
    {%- elif source == 'segment' -%}
    exists (select 1 from {{ ref('stg_segment__identifies') }} as known where known.user_id = {{ owner_id }})
    {%- else -%}
    {{ exceptions.raise_compiler_error("owner_is_known: unknown source " ~ source) }}
    {%- endif -%}
{%- endmacro %}
