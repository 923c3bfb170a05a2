-- grain: one row per Stripe subscription, its lifecycle as of the data horizon
with snapshots as (
    select * from {{ ref('stg_stripe__subscription_snapshots') }}
),

states as (
    select * from {{ ref('int_subscription_states_from_snapshots') }}
),

items as (
    select * from {{ ref('stg_stripe__subscription_items') }}
),

subscription_months as (
    select * from {{ ref('int_subscription_mrr_by_month') }}
),

latest as (
    select snapshots.*
    from snapshots
    inner join states on states.event_id = snapshots.event_id and states.is_latest
),

lifecycle as (
    select
        subscription_id,
        min(snapshot_at) as first_event_at,
        min(case when status in ('active', 'past_due') then snapshot_at end) as first_active_at,
        max(case when status = 'trialing' then 1 else 0 end) = 1 as had_trial_status
    from snapshots
    group by subscription_id
),

latest_items as (
    select
        items.subscription_id,
        min(items.price_id) as price_id,
        sum(items.quantity) as quantity
    from items
    inner join states on states.event_id = items.event_id and states.is_latest
    group by items.subscription_id
),

latest_mrr as (
    select
        subscription_id,
        mrr_minor,
        row_number() over (partition by subscription_id order by month desc) as recency_rank
    from subscription_months
),

final as (
    select
        latest.subscription_id,
        latest.customer_id,
        latest.status,
        latest.currency_code,
        latest_items.price_id,
        cast(latest_items.quantity as bigint) as quantity,
        latest.collection_method,
        coalesce(latest.created_at, lifecycle.first_event_at) as created_at,
        latest.started_at,
        latest.trial_start_at,
        latest.trial_end_at,
        latest.trial_start_at is not null or lifecycle.had_trial_status as has_trial,
        case when latest.trial_start_at is not null or lifecycle.had_trial_status
            then lifecycle.first_active_at end as trial_converted_at,
        latest.current_period_start_at,
        latest.current_period_end_at,
        latest.is_cancel_at_period_end,
        latest.canceled_at,
        latest.ended_at,
        latest.cancellation_reason,
        latest.cancellation_feedback,
        latest.pause_collection_behavior is not null as is_collection_paused,
        cast(coalesce(latest_mrr.mrr_minor, 0) as decimal(38, 6)) as current_mrr_local_minor
    from latest
    inner join lifecycle on lifecycle.subscription_id = latest.subscription_id
    left join latest_items on latest_items.subscription_id = latest.subscription_id
    left join latest_mrr on latest_mrr.subscription_id = latest.subscription_id and latest_mrr.recency_rank = 1
)

select * from final
