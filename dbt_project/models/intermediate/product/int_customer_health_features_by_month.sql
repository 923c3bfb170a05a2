-- grain: one row per customer per month in which the customer was paying at the month's end (MRR
-- above zero in fct_mrr). Every feature is measured as of that moment (months.measured_before):
-- nothing from later is used. The label, churned_next_month, is whether the customer paid nothing
-- at the next month's end; it is NULL while that month has not ended (the horizon month).
-- Buckets (the health score's inputs):
--   activation: activated (a user of the account reached `activated` before the moment) / not_activated
--   engagement: inactive (no active user in the last 30 days) / declining (fewer than in the 30
--     days before) / steady (as many or more)
--   seat_usage: low (active users in the last 30 days below half the licensed seats) / high
--   payment: past_due (a payment is failing now) / failed_recently (a payment failed in the last 90
--     days) / clean
--   tenure: first_3_months (paying for 3 months or less) / established
with mrr as (
    select * from {{ ref('fct_mrr') }}
),

months as (
    select * from {{ ref('int_months_to_horizon') }}
),

subscription_months as (
    select * from {{ ref('int_subscription_mrr_by_month') }}
),

states as (
    select * from {{ ref('int_subscription_states_from_snapshots') }}
),

items as (
    select * from {{ ref('stg_stripe__subscription_items') }}
),

users as (
    select * from {{ ref('fct_user_activation') }}
),

active_days as (
    select * from {{ ref('int_user_active_days') }}
),

stripe_events as (
    select * from {{ ref('stg_stripe__events') }}
    where event_type = 'invoice.payment_failed'
),

paying as (
    select
        mrr.customer_id,
        mrr.month,
        months.measured_before as as_of_at,
        months.is_horizon_month,
        min(mrr.month) over (partition by mrr.customer_id) as first_paid_month,
        lead(mrr.mrr) over (partition by mrr.customer_id order by mrr.month) as next_month_mrr,
        lead(mrr.month) over (partition by mrr.customer_id order by mrr.month) as next_month,
        mrr.mrr
    from mrr
    inner join months on mrr.month = months.month
),

labelled as (
    select
        paying.*,
        case
            when paying.is_horizon_month then null
            when next_months.is_horizon_month then null
            else coalesce(paying.next_month_mrr, 0) = 0
        end as churned_next_month
    from paying
    left join months as next_months
        on next_months.month = cast({{ dbt.dateadd('month', 1, 'paying.month') }} as date)
    where paying.mrr > 0
),

seats as (
    select
        states.customer_id,
        subscription_months.month,
        cast(sum(items.quantity) as bigint) as seats
    from subscription_months
    inner join months on subscription_months.month = months.month
    inner join states
        on subscription_months.subscription_id = states.subscription_id
        and states.valid_from < months.measured_before
        and (states.valid_to is null or states.valid_to >= months.measured_before)
    inner join items on states.event_id = items.event_id
    where subscription_months.mrr_minor > 0 and coalesce(items.usage_type, 'licensed') = 'licensed'
    group by states.customer_id, subscription_months.month
),

past_due as (
    select customer_id, month, max(case when is_payment_failure then 1 else 0 end) = 1 as is_past_due
    from subscription_months
    group by customer_id, month
),

account_users as (
    select user_id, customer_id, activated_at
    from users
    where customer_id is not null
),

activity as (
    select
        labelled.customer_id,
        labelled.month,
        max(case when account_users.activated_at < labelled.as_of_at then 1 else 0 end) = 1 as is_activated,
        count(distinct case
            when active_days.activity_date >= cast({{ dbt.dateadd('day', -30, 'labelled.as_of_at') }} as date)
                and active_days.activity_date < cast(labelled.as_of_at as date)
                then active_days.user_id
        end) as active_users_last_30_days,
        count(distinct case
            when active_days.activity_date >= cast({{ dbt.dateadd('day', -60, 'labelled.as_of_at') }} as date)
                and active_days.activity_date < cast({{ dbt.dateadd('day', -30, 'labelled.as_of_at') }} as date)
                then active_days.user_id
        end) as active_users_previous_30_days
    from labelled
    left join account_users on labelled.customer_id = account_users.customer_id
    left join active_days
        on account_users.user_id = active_days.user_id
        and active_days.activity_date < cast(labelled.as_of_at as date)
        and active_days.activity_date >= cast({{ dbt.dateadd('day', -60, 'labelled.as_of_at') }} as date)
    group by labelled.customer_id, labelled.month
),

payment_failures as (
    select
        labelled.customer_id,
        labelled.month,
        count(*) as payment_failures_last_90_days
    from labelled
    inner join stripe_events
        on {{ json_str('stripe_events.object', '$.customer') }} = labelled.customer_id
        and stripe_events.created_at < labelled.as_of_at
        and stripe_events.created_at >= {{ dbt.dateadd('day', -90, 'labelled.as_of_at') }}
    group by labelled.customer_id, labelled.month
),

final as (
    select
        labelled.customer_id,
        labelled.month,
        labelled.as_of_at,
        labelled.is_horizon_month,
        labelled.churned_next_month,
        activity.active_users_last_30_days,
        activity.active_users_previous_30_days,
        seats.seats,
        coalesce(payment_failures.payment_failures_last_90_days, 0) as payment_failures_last_90_days,
        cast({{ dbt.datediff('labelled.first_paid_month', 'labelled.month', 'month') }} + 1 as bigint) as months_paying,
        case when activity.is_activated then 'activated' else 'not_activated' end as activation_bucket,
        case
            when activity.active_users_last_30_days = 0 then 'inactive'
            when activity.active_users_last_30_days < activity.active_users_previous_30_days then 'declining'
            else 'steady'
        end as engagement_bucket,
        case
            when activity.active_users_last_30_days * 2 < coalesce(seats.seats, 1) then 'low'
            else 'high'
        end as seat_usage_bucket,
        case
            when coalesce(past_due.is_past_due, false) then 'past_due'
            when payment_failures.payment_failures_last_90_days > 0 then 'failed_recently'
            else 'clean'
        end as payment_bucket,
        case
            when {{ dbt.datediff('labelled.first_paid_month', 'labelled.month', 'month') }} < 3 then 'first_3_months'
            else 'established'
        end as tenure_bucket
    from labelled
    left join activity on labelled.customer_id = activity.customer_id and labelled.month = activity.month
    left join seats on labelled.customer_id = seats.customer_id and labelled.month = seats.month
    left join past_due on labelled.customer_id = past_due.customer_id and labelled.month = past_due.month
    left join payment_failures
        on labelled.customer_id = payment_failures.customer_id and labelled.month = payment_failures.month
)

select * from final
