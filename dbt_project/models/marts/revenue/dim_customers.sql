-- grain: one row per Stripe customer (from customer events, or first seen on a subscription)
with customers as (
    select * from {{ ref('stg_stripe__customers') }}
),

subscriptions as (
    select * from {{ ref('fct_subscriptions') }}
),

mrr as (
    select * from {{ ref('fct_mrr') }}
),

months as (
    select * from {{ ref('int_months_to_horizon') }}
),

subscription_customers as (
    select
        customer_id,
        max(currency_code) as currency_code,
        min(created_at) as first_subscription_at,
        count(*) as subscription_count
    from subscriptions
    group by customer_id
),

customer_ids as (
    select customer_id from customers
    union
    select customer_id from subscription_customers
),

revenue as (
    select
        mrr.customer_id,
        min(case when mrr.mrr_local_minor > 0 then mrr.month end) as first_paid_month,
        max(case when mrr.mrr_local_minor > 0 then mrr.month end) as last_paid_month,
        sum(case when months.is_horizon_month then mrr.mrr else 0 end) as current_mrr
    from mrr
    inner join months on months.month = mrr.month
    group by mrr.customer_id
),

final as (
    select
        customer_ids.customer_id,
        customers.account_id,
        customers.email_hash,
        coalesce(customers.currency_code, subscription_customers.currency_code) as currency_code,
        customers.country_code,
        coalesce(customers.created_at, subscription_customers.first_subscription_at) as created_at,
        coalesce(customers.is_deleted, false) as is_deleted,
        cast(coalesce(subscription_customers.subscription_count, 0) as bigint) as subscription_count,
        revenue.first_paid_month,
        revenue.last_paid_month,
        cast(coalesce(revenue.current_mrr, 0) as decimal(18, 2)) as current_mrr,
        coalesce(revenue.current_mrr, 0) > 0 as is_paying
    from customer_ids
    left join customers on customers.customer_id = customer_ids.customer_id
    left join subscription_customers on subscription_customers.customer_id = customer_ids.customer_id
    left join revenue on revenue.customer_id = customer_ids.customer_id
)

select * from final
