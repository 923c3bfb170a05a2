-- grain: one row per subscription that renews automatically within 90 days after the data horizon
-- ("today"): live (active, past_due, or trialing: the trial end is its first charge), collection not
-- paused, not set to cancel before the period ends. The amount is the next invoice's recurring part
-- before tax: licensed items (unit amount x quantity), less the forever or repeating discounts still in
-- force at the renewal date, in the subscription's currency (minor units) and the reporting currency.
with states as (
    select * from {{ ref('int_subscription_states_from_snapshots') }}
),

items as (
    select * from {{ ref('stg_stripe__subscription_items') }}
),

snapshot_discounts as (
    select * from {{ ref('stg_stripe__subscription_discounts') }}
),

discounts as (
    select * from {{ ref('int_discounts_joined_to_coupons') }}
),

months as (
    select * from {{ ref('int_months_to_horizon') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_by_month') }}
),

currencies as (
    select * from {{ ref('currencies') }}
),

subscription_months as (
    select * from {{ ref('int_subscription_mrr_by_month') }}
),

horizon as (
    select month, horizon_at from months where is_horizon_month
),

renewing as (
    select
        states.*,
        horizon.month as horizon_month,
        horizon.horizon_at
    from states
    cross join horizon
    where states.is_latest
        and states.status in ('active', 'past_due', 'trialing')
        and states.pause_collection_behavior is null
        and not states.is_cancel_at_period_end
        and (states.cancel_at is null or states.cancel_at > states.current_period_end_at)
        and states.current_period_end_at > horizon.horizon_at
        and states.current_period_end_at <= {{ dbt.dateadd('day', 90, 'horizon.horizon_at') }}
),

period_amounts as (
    select
        items.event_id,
        sum(items.unit_amount_minor * items.quantity) as period_amount_minor
    from items
    inner join renewing on renewing.event_id = items.event_id
    where items.usage_type = 'licensed' and items.price_type = 'recurring'
    group by items.event_id
),

discounts_at_renewal as (
    select
        renewing.event_id,
        sum(coalesce(discounts.percent_off, 0)) as percent_off,
        sum(coalesce(discounts.amount_off_minor, 0)) as amount_off_minor
    from renewing
    inner join snapshot_discounts on snapshot_discounts.event_id = renewing.event_id
    inner join discounts on discounts.discount_id = snapshot_discounts.discount_id
    where discounts.coupon_duration in ('forever', 'repeating')
        and (discounts.ends_at is null or discounts.ends_at > renewing.current_period_end_at)
        and (discounts.deleted_at is null or discounts.deleted_at > renewing.horizon_at)
    group by renewing.event_id
),

final as (
    select
        renewing.subscription_id,
        renewing.customer_id,
        renewing.status,
        renewing.status = 'trialing' as is_trial_end,
        renewing.collection_method,
        renewing.recurring_interval,
        renewing.interval_count,
        renewing.current_period_end_at as renews_at,
        cast(renewing.current_period_end_at as date) as renewal_date,
        cast({{ dbt.datediff('renewing.horizon_at', 'renewing.current_period_end_at', 'day') }} as bigint)
            as days_until_renewal,
        renewing.currency_code,
        cast({{ apply_discounts('coalesce(period_amounts.period_amount_minor, 0)', 'discounts_at_renewal.percent_off',
                                'discounts_at_renewal.amount_off_minor', scale=0) }} as bigint)
            as renewal_amount_local_minor,
        cast(round(
            {{ apply_discounts('coalesce(period_amounts.period_amount_minor, 0)', 'discounts_at_renewal.percent_off',
                               'discounts_at_renewal.amount_off_minor', scale=0) }}
            * currencies.minor_unit_factor * fx_rates.rate_to_reporting, 2
        ) as decimal(18, 2)) as renewal_amount,
        cast(round(
            coalesce(subscription_months.mrr_minor, 0) * currencies.minor_unit_factor * fx_rates.rate_to_reporting, 2
        ) as decimal(18, 2)) as current_mrr,
        renewing.horizon_at as as_of_at
    from renewing
    left join period_amounts on period_amounts.event_id = renewing.event_id
    left join discounts_at_renewal on discounts_at_renewal.event_id = renewing.event_id
    left join currencies on currencies.currency_code = renewing.currency_code
    left join fx_rates
        on fx_rates.currency_code = renewing.currency_code
        and fx_rates.month = renewing.horizon_month
    left join subscription_months
        on subscription_months.subscription_id = renewing.subscription_id
        and subscription_months.month = renewing.horizon_month
)

select * from final
