-- grain: one row per month x end type x cancellation reason x feedback: subscriptions that ended that
-- month, how many had been scheduled to cancel at period end, and the MRR they carried at the previous
-- month end (reporting currency at this month's rate). Paused subscriptions are counted in
-- churn_monthly.subscriptions_paused; they are not ended.
with subscriptions as (
    select * from {{ ref('fct_subscriptions') }}
),

subscription_months as (
    select * from {{ ref('int_subscription_mrr_by_month') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_by_month') }}
),

currencies as (
    select * from {{ ref('currencies') }}
),

ended as (
    select
        subscriptions.subscription_id,
        subscriptions.customer_id,
        cast({{ dbt.date_trunc('month', 'subscriptions.ended_at') }} as date) as month,
        subscriptions.end_type,
        coalesce(subscriptions.cancellation_reason, 'unknown') as cancellation_reason,
        coalesce(subscriptions.cancellation_feedback, 'none') as cancellation_feedback,
        subscriptions.is_cancel_at_period_end,
        subscriptions.currency_code
    from subscriptions
    where subscriptions.ended_at is not null
),

with_mrr as (
    select
        ended.*,
        {{ to_reporting_currency('coalesce(subscription_months.previous_mrr_minor, 0)',
                                 'currencies.minor_unit_factor', 'fx_rates.rate_to_reporting') }} as mrr_lost
    from ended
    left join subscription_months
        on subscription_months.subscription_id = ended.subscription_id
        and subscription_months.month = ended.month
    left join currencies on currencies.currency_code = ended.currency_code
    left join fx_rates on fx_rates.currency_code = ended.currency_code and fx_rates.month = ended.month
),

final as (
    select
        month,
        end_type,
        cancellation_reason,
        cancellation_feedback,
        cast(count(*) as bigint) as subscriptions_ended,
        cast(count(distinct customer_id) as bigint) as customers,
        cast(sum(case when is_cancel_at_period_end then 1 else 0 end) as bigint) as scheduled_at_period_end,
        cast(coalesce(sum(mrr_lost), 0) as decimal(18, 2)) as mrr_lost
    from with_mrr
    group by month, end_type, cancellation_reason, cancellation_feedback
)

select * from final
