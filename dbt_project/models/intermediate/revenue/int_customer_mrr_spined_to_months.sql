-- grain: one row per customer per month, from the customer's first paid month to the horizon, with
-- MRR summed over the customer's subscriptions (a Stripe customer bills in one currency). Gap months
-- without any subscription are present with zero.
with subscription_months as (
    select * from {{ ref('int_subscription_mrr_by_month') }}
),

months as (
    select * from {{ ref('int_months_to_horizon') }}
),

customer_months as (
    select
        customer_id,
        month,
        max(currency_code) as currency_code,
        sum(mrr_minor) as mrr_minor
    from subscription_months
    group by customer_id, month
),

customer_ranges as (
    select
        customer_id,
        max(currency_code) as currency_code,
        min(case when mrr_minor > 0 then month end) as first_paid_month
    from customer_months
    group by customer_id
),

spined as (
    select
        customer_ranges.customer_id,
        months.month,
        coalesce(customer_months.currency_code, customer_ranges.currency_code) as currency_code,
        coalesce(customer_months.mrr_minor, cast(0 as decimal(38, 6))) as mrr_minor
    from customer_ranges
    inner join months on months.month >= customer_ranges.first_paid_month
    left join customer_months
        on customer_months.customer_id = customer_ranges.customer_id
        and customer_months.month = months.month
),

final as (
    select
        customer_id,
        month,
        currency_code,
        mrr_minor,
        -- the last month with MRR, looking forward: rows after the final churn month are dropped later
        max(case when mrr_minor > 0 then month end) over (partition by customer_id) as last_paid_month
    from spined
)

select * from final
