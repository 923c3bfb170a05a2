-- grain: one row per Stripe price (a plan: product x amount x billing interval), its latest known
-- state, with the amount normalised to a month by the same rule MRR uses.
with prices as (
    select * from {{ ref('stg_stripe__prices') }}
),

products as (
    select * from {{ ref('stg_stripe__products') }}
),

subscriptions as (
    select * from {{ ref('fct_subscriptions') }}
),

usage as (
    select
        price_id,
        count(*) as subscriptions,
        sum(case when status in ('active', 'past_due', 'trialing') then 1 else 0 end) as live_subscriptions
    from subscriptions
    group by price_id
),

final as (
    select
        prices.price_id,
        prices.product_id,
        products.product_name,
        prices.price_nickname,
        prices.lookup_key,
        prices.currency_code,
        prices.unit_amount_minor,
        coalesce(prices.price_type, 'recurring') as price_type,
        prices.billing_scheme,
        prices.recurring_interval,
        coalesce(prices.interval_count, 1) as interval_count,
        coalesce(prices.usage_type, 'licensed') as usage_type,
        case
            when coalesce(prices.price_type, 'recurring') = 'recurring'
                and coalesce(prices.usage_type, 'licensed') = 'licensed'
                and prices.unit_amount_minor is not null
                then cast({{ monthly_amount('prices.unit_amount_minor', 'prices.recurring_interval',
                                            'prices.interval_count') }} as decimal(38, 6))
        end as monthly_amount_local_minor,
        prices.unit_amount_minor = 0 as is_free,
        coalesce(prices.usage_type, 'licensed') = 'metered' as is_metered,
        prices.is_active,
        cast(coalesce(usage.subscriptions, 0) as bigint) as subscriptions,
        cast(coalesce(usage.live_subscriptions, 0) as bigint) as live_subscriptions
    from prices
    left join products on products.product_id = prices.product_id
    left join usage on usage.price_id = prices.price_id
)

select * from final
