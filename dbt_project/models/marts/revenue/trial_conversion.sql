-- grain: one row per cohort month per conversion path. Path `trial`: subscriptions that started with
-- a trial, by the month the trial started; converted = first became active on a paid price.
-- Path `free_plan`: customers whose first live subscription was on a zero-amount recurring price, by
-- the month it started; converted = first paid MRR later. Outcomes at the horizon: converted,
-- not_converted (ended without paying), in_progress (still trialing, on the free plan, or past due).
with states as (
    select * from {{ ref('int_subscription_states_from_snapshots') }}
),

subscriptions as (
    select * from {{ ref('fct_subscriptions') }}
),

trials as (
    select
        'trial' as conversion_path,
        trial_started_at as started_at,
        trial_converted_at as converted_at,
        {{ trial_outcome('trial_converted_at', 'status') }} as outcome
    from subscriptions
    where has_trial
),

customer_milestones as (
    select
        customer_id,
        min(case when status = 'active' and has_recurring_items and list_mrr_minor = 0 then valid_from end)
            as free_started_at,
        min(case when is_revenue_state and list_mrr_minor > 0 then valid_from end) as first_paid_at,
        max(case when is_latest and status not in ('canceled', 'incomplete_expired') then 1 else 0 end) = 1
            as has_live_subscription
    from states
    group by customer_id
),

free_plans as (
    select
        'free_plan' as conversion_path,
        free_started_at as started_at,
        first_paid_at as converted_at,
        case
            when first_paid_at is not null then 'converted'
            when not has_live_subscription then 'not_converted'
            else 'in_progress'
        end as outcome
    from customer_milestones
    where free_started_at is not null and (first_paid_at is null or first_paid_at > free_started_at)
),

starts as (
    select * from trials
    union all
    select * from free_plans
),

aggregated as (
    select
        cast({{ dbt.date_trunc('month', 'started_at') }} as date) as cohort_month,
        conversion_path,
        cast(count(*) as bigint) as started,
        cast(sum(case when outcome = 'converted' then 1 else 0 end) as bigint) as converted,
        cast(sum(case when outcome = 'not_converted' then 1 else 0 end) as bigint) as not_converted,
        cast(sum(case when outcome = 'in_progress' then 1 else 0 end) as bigint) as in_progress,
        cast({{ divide_half_up(median(dbt.datediff('started_at', 'converted_at', 'second')), 86400,
            scale=2, input_decimals=1) }} as decimal(10, 2)) as median_days_to_convert
    from starts
    group by {{ dbt.date_trunc('month', 'started_at') }}, conversion_path
),

final as (
    select
        cohort_month,
        conversion_path,
        started,
        converted,
        not_converted,
        in_progress,
        {{ safe_ratio('converted', 'converted + not_converted') }} as conversion_rate,
        {{ safe_ratio('converted', 'started') }} as converted_share_of_started,
        median_days_to_convert
    from aggregated
)

select * from final
