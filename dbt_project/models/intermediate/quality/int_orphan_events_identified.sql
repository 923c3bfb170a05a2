-- grain: one row per loaded event that points at an owner the warehouse has never seen: a Stripe
-- invoice, charge or credit note whose customer has no customer event and no subscription, or a
-- Segment track call from a userId that never sent an identify. Orphans are kept (a webhook set up
-- after the customer existed, an identify lost on the way) and counted in data_quality_summary.
with stripe_events as (
    select * from {{ ref('stg_stripe__events') }}
    where object_type in ('invoice', 'charge', 'credit_note')
),

customers as (
    select customer_id from {{ ref('stg_stripe__customers') }}
),

subscriptions as (
    select customer_id from {{ ref('stg_stripe__subscription_snapshots') }}
),

tracks as (
    select * from {{ ref('stg_segment__events') }}
    where call_type = 'track'
),

identifies as (
    select user_id from {{ ref('stg_segment__identifies') }}
),

known_customers as (
    select customer_id from customers
    union
    select customer_id from subscriptions
),

known_users as (
    select distinct user_id from identifies where user_id is not null
),

stripe_orphans as (
    select
        'stripe' as source,
        stripe_events.event_id,
        stripe_events.load_id,
        stripe_events.object_type || ' of unknown customer' as reason
    from stripe_events
    left join known_customers
        on known_customers.customer_id = {{ json_str('stripe_events.object', '$.customer') }}
    where known_customers.customer_id is null
),

segment_orphans as (
    select
        'segment' as source,
        tracks.message_id as event_id,
        tracks.load_id,
        'track of a user never identified' as reason
    from tracks
    left join known_users on known_users.user_id = tracks.user_id
    where tracks.user_id is not null and known_users.user_id is null
),

final as (
    select * from stripe_orphans
    union all
    select * from segment_orphans
)

select * from final
