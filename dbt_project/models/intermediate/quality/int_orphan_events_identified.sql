-- grain: one row per loaded event that points at an owner the warehouse has never seen: a Stripe
-- invoice, charge or credit note whose customer has no customer event and no subscription, or a
-- Segment track call from a userId that never sent an identify. Orphans are kept (a webhook set up
-- after the customer existed, an identify lost on the way) and counted in data_quality_summary.
-- Incremental: a run judges only the events of the loads it takes in (macro pending_loads_only; the
-- orchestrator accepts a load only after a run that built this model), instead of every event ever
-- loaded (82 s a day at 100M events). Owners only ever become known, so an event judged owned stays
-- owned; the post-hook forgets the orphans held whose owner has arrived since (a late identify, a
-- customer event), by the same rule (macro owner_is_known). Held orphans plus the new loads' orphans
-- are then what a full build computes.
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key=['source', 'event_id'],
    post_hook="{% if is_incremental() %}
        delete from {{ this }} as held
        where (held.source = 'stripe' and {{ owner_is_known('stripe', 'held.owner_id') }})
            or (held.source = 'segment' and {{ owner_is_known('segment', 'held.owner_id') }})
    {% endif %}"
) }}
{%- set pending = pending_loads_only(whole_history=not is_incremental()) %}

with stripe_events as (
    select * from {{ ref('stg_stripe__events') }} {{ pending }}
),

tracks as (
    select * from {{ ref('stg_segment__events') }} {{ pending }}
),

stripe_owners as (
    select
        event_id,
        load_id,
        object_type,
        {{ json_str('object', '$.customer') }} as customer_id
    from stripe_events
    where object_type in ('invoice', 'charge', 'credit_note')
),

stripe_orphans as (
    select
        'stripe' as source,
        event_id,
        load_id,
        customer_id as owner_id,
        object_type || ' of unknown customer' as reason
    from stripe_owners
    where not {{ owner_is_known('stripe', 'stripe_owners.customer_id') }}
),

segment_orphans as (
    select
        'segment' as source,
        message_id as event_id,
        load_id,
        user_id as owner_id,
        'track of a user never identified' as reason
    from tracks
    where
        call_type = 'track'
        and user_id is not null
        and not {{ owner_is_known('segment', 'tracks.user_id') }}
),

final as (
    select * from stripe_orphans
    union all
    select * from segment_orphans
)

select * from final
