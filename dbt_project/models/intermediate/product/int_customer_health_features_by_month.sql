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

payment_failures as (
    select * from {{ ref('int_invoice_payment_failures') }}
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
    select user_id, customer_id
    from users
    where customer_id is not null
),

first_activations as (
    select customer_id, min(activated_at) as first_activated_at
    from users
    where customer_id is not null
    group by customer_id
),

-- the months whose 60-day window (before measured_before) can hold a day of day_month: that month
-- and the next two (measured_before is at most the next month's first day, and 60 days before that
-- is never earlier than the month two before); day months before the first month included. An equality join
-- on day_month, where a range join on every active day sorted them all (5 s and DuckDB's whole
-- memory limit at 100M events).
month_candidates as (
    select months.month as day_month, months.month, months.measured_before
    from months
    union all
    select cast({{ dbt.dateadd('month', -1, 'months.month') }} as date) as day_month, months.month, months.measured_before
    from months
    union all
    select cast({{ dbt.dateadd('month', -2, 'months.month') }} as date) as day_month, months.month, months.measured_before
    from months
),

-- each user active in the 60 days before a month's moment, and in which half of them
user_activity as (
    select
        active_days.user_id,
        month_candidates.month,
        max(case
            when active_days.activity_date >= cast({{ dbt.dateadd('day', -30, 'month_candidates.measured_before') }} as date)
                then 1 else 0
        end) = 1 as is_active_last_30_days,
        max(case
            when active_days.activity_date < cast({{ dbt.dateadd('day', -30, 'month_candidates.measured_before') }} as date)
                then 1 else 0
        end) = 1 as is_active_previous_30_days
    from active_days
    inner join account_users on active_days.user_id = account_users.user_id
    inner join month_candidates
        on cast({{ dbt.date_trunc('month', 'active_days.activity_date') }} as date) = month_candidates.day_month
        and active_days.activity_date < cast(month_candidates.measured_before as date)
        and active_days.activity_date >= cast({{ dbt.dateadd('day', -60, 'month_candidates.measured_before') }} as date)
    group by active_days.user_id, month_candidates.month
),

-- a user has one account, so counting users per account counts distinct active users
activity as (
    select
        labelled.customer_id,
        labelled.month,
        count(case when user_activity.is_active_last_30_days then 1 end) as active_users_last_30_days,
        count(case when user_activity.is_active_previous_30_days then 1 end) as active_users_previous_30_days
    from labelled
    left join account_users on labelled.customer_id = account_users.customer_id
    left join user_activity
        on account_users.user_id = user_activity.user_id and labelled.month = user_activity.month
    group by labelled.customer_id, labelled.month
),

failures_last_90_days as (
    select
        labelled.customer_id,
        labelled.month,
        count(*) as payment_failures_last_90_days
    from labelled
    inner join payment_failures
        on payment_failures.customer_id = labelled.customer_id
        and payment_failures.failed_at < labelled.as_of_at
        and payment_failures.failed_at >= {{ dbt.dateadd('day', -90, 'labelled.as_of_at') }}
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
        coalesce(failures_last_90_days.payment_failures_last_90_days, 0) as payment_failures_last_90_days,
        cast({{ dbt.datediff('labelled.first_paid_month', 'labelled.month', 'month') }} + 1 as bigint) as months_paying,
        case
            when first_activations.first_activated_at < labelled.as_of_at then 'activated'
            else 'not_activated'
        end as activation_bucket,
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
            when failures_last_90_days.payment_failures_last_90_days > 0 then 'failed_recently'
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
    left join first_activations on labelled.customer_id = first_activations.customer_id
    left join failures_last_90_days
        on labelled.customer_id = failures_last_90_days.customer_id
        and labelled.month = failures_last_90_days.month
)

select * from final
