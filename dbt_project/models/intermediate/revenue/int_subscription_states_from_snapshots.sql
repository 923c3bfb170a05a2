-- grain: one row per subscription snapshot (customer.subscription.* event), ordered in time, with
-- the interval it was in force, its undiscounted MRR (list MRR) and its undiscounted amount per billing
-- period (Stripe requires one billing interval per subscription), in minor units.
-- Ties within the same second are ordered created < updated < deleted, then by status progression,
-- then by event id, so the result never depends on delivery order.
-- Incremental (delete+insert by snapshot): a run recomputes every snapshot of the subscriptions that
-- the snapshots of the loads it takes in (incremental_cutoff) belong to, since a late snapshot can fall
-- anywhere in its subscription's sequence. Snapshots only ever get added, so the recomputed rows
-- replace every row held for those subscriptions; the other subscriptions keep theirs.
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key='event_id'
) }}

with snapshots as (
    select * from {{ ref('stg_stripe__subscription_snapshots') }}
    {%- if is_incremental() %}
    where subscription_id in (
        select touched.subscription_id from {{ ref('stg_stripe__subscription_snapshots') }} as touched
        where touched.loaded_at >= {{ incremental_cutoff('loaded_at') }}
    )
    {%- endif %}
),

items as (
    select * from {{ ref('stg_stripe__subscription_items') }}
    {%- if is_incremental() %}
    where event_id in (select snapshots.event_id from snapshots)
    {%- endif %}
),

item_mrr as (
    select
        event_id,
        sum(
            case
                when usage_type = 'licensed' and coalesce(price_type, 'recurring') = 'recurring'
                    then {{ monthly_amount('unit_amount_minor * quantity', 'recurring_interval', 'interval_count') }}
                else 0
            end
        ) as list_mrr_minor,
        sum(
            case
                when usage_type = 'licensed' and coalesce(price_type, 'recurring') = 'recurring'
                    then unit_amount_minor * quantity
                else 0
            end
        ) as list_period_amount_minor,
        max(case when coalesce(price_type, 'recurring') = 'recurring' then 1 else 0 end) = 1 as has_recurring_items,
        min(recurring_interval) as recurring_interval,
        min(interval_count) as interval_count
    from items
    group by event_id
),

ordered as (
    select
        snapshots.*,
        coalesce(item_mrr.list_mrr_minor, 0) as list_mrr_minor,
        coalesce(item_mrr.list_period_amount_minor, 0) as list_period_amount_minor,
        coalesce(item_mrr.has_recurring_items, false) as has_recurring_items,
        item_mrr.recurring_interval,
        item_mrr.interval_count,
        row_number() over (
            partition by snapshots.subscription_id
            order by
                snapshots.snapshot_unix,
                case snapshots.event_type
                    when 'customer.subscription.created' then 0
                    when 'customer.subscription.deleted' then 2
                    else 1
                end,
                case snapshots.status
                    when 'incomplete' then 0 when 'trialing' then 1 when 'active' then 2 when 'past_due' then 3
                    when 'paused' then 4 when 'unpaid' then 5 else 6
                end,
                snapshots.event_id
        ) as state_sequence
    from snapshots
    left join item_mrr on item_mrr.event_id = snapshots.event_id
),

with_previous as (
    select
        *,
        lag(status) over (partition by subscription_id order by state_sequence) as previous_status
    from ordered
),

final as (
    select
        event_id,
        subscription_id,
        customer_id,
        currency_code,
        status,
        previous_status,
        state_sequence,
        snapshot_at as valid_from,
        lead(snapshot_at) over (partition by subscription_id order by state_sequence) as valid_to,
        state_sequence = max(state_sequence) over (partition by subscription_id) as is_latest,
        -- MRR counts while the customer is billed: active, or past_due until dunning ends.
        status in ('active', 'past_due') and pause_collection_behavior is null as is_revenue_state,
        -- The subscription stopped because payment failed (involuntary churn): Stripe cancelled it
        -- after the retries (reason payment_failed), marked it unpaid, or it was cancelled while past
        -- due without the customer asking.
        (
            status = 'unpaid'
            or (status in ('canceled', 'incomplete_expired') and (
                cancellation_reason = 'payment_failed'
                or (cancellation_reason is null and previous_status in ('past_due', 'unpaid'))
            ))
        ) as is_payment_failure,
        is_cancel_at_period_end,
        cancel_at,
        cancellation_reason,
        cancellation_feedback,
        pause_collection_behavior,
        status = 'paused' or pause_collection_behavior is not null as is_paused,
        trial_start_at,
        trial_end_at,
        current_period_start_at,
        current_period_end_at,
        collection_method,
        list_mrr_minor,
        list_period_amount_minor,
        has_recurring_items,
        recurring_interval,
        interval_count,
        loaded_at
    from with_previous
)

select * from final
