-- grain: one row per subscription that renews automatically within 90 days after the data horizon
-- ("today"): live (active, past_due, or trialing: the trial end is its first charge), collection not
-- paused, not set to cancel before the period ends. The amount is the next invoice's recurring part
-- before tax: licensed items (unit amount x quantity), less the forever or repeating discounts still in
-- force at the renewal date, in the subscription's currency (minor units) and the reporting currency.
with states as (
    select * from {{ ref('int_subscription_states_from_snapshots') }}
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

priced as (
    select
        renewing.*,
        cast({{ apply_discounts('renewing.list_period_amount_minor', 'discounts_at_renewal.percent_off',
                                'discounts_at_renewal.amount_off_minor', scale=0) }} as bigint)
            as renewal_amount_local_minor
    from renewing
    left join discounts_at_renewal on discounts_at_renewal.event_id = renewing.event_id
),

final as (
    select
        priced.subscription_id,
        priced.customer_id,
        priced.status,
        priced.status = 'trialing' as is_trial_end,
        priced.collection_method,
        priced.recurring_interval,
        priced.interval_count,
        priced.current_period_end_at as renews_at,
        cast(priced.current_period_end_at as date) as renewal_date,
        cast({{ dbt.datediff('priced.horizon_at', 'priced.current_period_end_at', 'day') }} as bigint)
            as days_until_renewal,
        priced.currency_code,
        priced.renewal_amount_local_minor,
        {{ to_reporting_currency('priced.renewal_amount_local_minor', 'currencies.minor_unit_factor',
                                 'fx_rates.rate_to_reporting') }} as renewal_amount,
        {{ to_reporting_currency('coalesce(subscription_months.mrr_minor, 0)', 'currencies.minor_unit_factor',
                                 'fx_rates.rate_to_reporting') }} as current_mrr,
        priced.horizon_at as as_of_at
    from priced
    left join currencies on currencies.currency_code = priced.currency_code
    left join fx_rates
        on fx_rates.currency_code = priced.currency_code
        and fx_rates.month = priced.horizon_month
    left join subscription_months
        on subscription_months.subscription_id = priced.subscription_id
        and subscription_months.month = priced.horizon_month
)

select * from final
