-- grain: one row per invoice.payment_failed event (a failed attempt to collect an invoice), with the
-- customer it was charged to. At 100M events, 47 thousand of 15 million Stripe events: the health
-- features read this rather than every event's type and JSON object.
-- Incremental (delete+insert by event): a run reads only the events of the loads it takes in (macro
-- pending_loads_only); an event never changes once loaded, so the held rows stay right.
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key='event_id'
) }}

with stripe_events as (
    select * from {{ ref('stg_stripe__events') }} {{ pending_loads_only(whole_history=not is_incremental()) }}
),

final as (
    select
        event_id,
        object_id as invoice_id,
        {{ json_str('object', '$.customer') }} as customer_id,
        created_at as failed_at,
        loaded_at
    from stripe_events
    where event_type = 'invoice.payment_failed'
)

select * from final
