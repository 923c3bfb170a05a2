-- grain: one row per Stripe subscription, its lifecycle as of the data horizon: trial, conversion,
-- cancellation (scheduled or immediate, reason, voluntary or not), pause, current MRR.
with states as (
    select * from {{ ref('int_subscription_states_from_snapshots') }}
),

snapshots as (
    select * from {{ ref('stg_stripe__subscription_snapshots') }}
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
        min(valid_from) as first_event_at,
        min(case when status = 'trialing' then valid_from end) as first_trialing_at,
        min(case when status = 'active' and list_mrr_minor > 0 then valid_from end) as first_paid_active_at,
        min(case when status in ('canceled', 'incomplete_expired') then valid_from end) as first_ended_at,
        max(case when is_latest and is_payment_failure then 1 else 0 end) = 1 as ended_by_payment_failure
    from states
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

classified as (
    select
        latest.*,
        lifecycle.first_event_at,
        coalesce(latest.trial_start_at, lifecycle.first_trialing_at) as trial_started_at,
        case
            when latest.status in ('canceled', 'incomplete_expired')
                then coalesce(latest.ended_at, lifecycle.first_ended_at)
        end as subscription_ended_at,
        case
            when coalesce(latest.trial_start_at, lifecycle.first_trialing_at) is not null
                and lifecycle.first_paid_active_at >= coalesce(latest.trial_start_at, lifecycle.first_trialing_at)
                then lifecycle.first_paid_active_at
        end as trial_converted_at,
        lifecycle.first_paid_active_at,
        lifecycle.ended_by_payment_failure
    from latest
    inner join lifecycle on lifecycle.subscription_id = latest.subscription_id
),

final as (
    select
        classified.subscription_id,
        classified.customer_id,
        classified.status,
        classified.currency_code,
        latest_items.price_id,
        cast(latest_items.quantity as bigint) as quantity,
        classified.collection_method,
        coalesce(classified.created_at, classified.first_event_at) as created_at,
        classified.started_at,
        classified.trial_started_at is not null as has_trial,
        classified.trial_started_at,
        classified.trial_end_at,
        classified.trial_converted_at,
        classified.first_paid_active_at as first_paid_at,
        classified.current_period_start_at,
        classified.current_period_end_at,
        classified.is_cancel_at_period_end,
        classified.cancel_at,
        classified.canceled_at,
        classified.subscription_ended_at as ended_at,
        case
            when classified.status not in ('canceled', 'incomplete_expired', 'unpaid') then null
            when classified.first_paid_active_at is null and classified.trial_started_at is not null
                then 'trial_not_converted'
            when classified.first_paid_active_at is null then 'never_paid'
            when classified.ended_by_payment_failure then 'involuntary'
            else 'voluntary'
        end as end_type,
        classified.cancellation_reason,
        classified.cancellation_feedback,
        classified.cancellation_comment,
        classified.status = 'paused' or classified.pause_collection_behavior is not null as is_paused,
        classified.pause_collection_behavior,
        classified.pause_resumes_at,
        cast(coalesce(latest_mrr.mrr_minor, 0) as decimal(38, 6)) as current_mrr_local_minor
    from classified
    left join latest_items on latest_items.subscription_id = classified.subscription_id
    left join latest_mrr on latest_mrr.subscription_id = classified.subscription_id and latest_mrr.recency_rank = 1
)

select * from final
