-- grain: one row per subscription per month, from its first event's month until the month it ended
-- (or the horizon): its MRR measured at the month end, in the subscription's currency, minor units.
-- MRR = the billing period's amount of licensed recurring items, less the discounts in force at that
-- instant that last (forever, repeating; `once` coupons never reduce MRR), normalised to a month and
-- rounded once. `previous_mrr_minor` is the same subscription's previous month, so a month where it
-- dropped to zero can be explained (is_payment_failure, is_paused).
with states as (
    select * from {{ ref('int_subscription_states_from_snapshots') }}
),

months as (
    select * from {{ ref('int_months_to_horizon') }}
),

snapshot_discounts as (
    select * from {{ ref('stg_stripe__subscription_discounts') }}
),

discounts as (
    select * from {{ ref('int_discounts_joined_to_coupons') }}
),

subscription_ranges as (
    select
        subscription_id,
        cast({{ dbt.date_trunc('month', 'min(valid_from)') }} as date) as first_month,
        max(case when is_latest and status in ('canceled', 'incomplete_expired')
            then cast({{ dbt.date_trunc('month', 'valid_from') }} as date) end) as ended_month
    from states
    group by subscription_id
),

subscription_months as (
    select
        subscription_ranges.subscription_id,
        months.month,
        months.measured_before
    from subscription_ranges
    inner join months
        on months.month >= subscription_ranges.first_month
        and (subscription_ranges.ended_month is null or months.month <= subscription_ranges.ended_month)
),

state_at_month_end as (
    select
        subscription_months.subscription_id,
        subscription_months.month,
        subscription_months.measured_before,
        states.event_id,
        states.customer_id,
        states.currency_code,
        states.status,
        states.is_revenue_state,
        states.is_payment_failure,
        states.is_paused,
        states.cancellation_reason,
        states.list_period_amount_minor,
        states.recurring_interval,
        states.interval_count
    from subscription_months
    inner join states
        on states.subscription_id = subscription_months.subscription_id
        and states.valid_from < subscription_months.measured_before
        and (states.valid_to is null or states.valid_to >= subscription_months.measured_before)
),

discounts_in_force as (
    select
        state_at_month_end.subscription_id,
        state_at_month_end.month,
        sum(coalesce(discounts.percent_off, 0)) as percent_off,
        sum(coalesce(discounts.amount_off_minor, 0)) as amount_off_minor
    from state_at_month_end
    inner join snapshot_discounts on snapshot_discounts.event_id = state_at_month_end.event_id
    inner join discounts on discounts.discount_id = snapshot_discounts.discount_id
    where discounts.coupon_duration in ('forever', 'repeating')
        and (discounts.starts_at is null or discounts.starts_at < state_at_month_end.measured_before)
        and (discounts.ends_at is null or discounts.ends_at >= state_at_month_end.measured_before)
        and (discounts.deleted_at is null or discounts.deleted_at >= state_at_month_end.measured_before)
    group by state_at_month_end.subscription_id, state_at_month_end.month
),

measured as (
    select
        state_at_month_end.subscription_id,
        state_at_month_end.month,
        state_at_month_end.customer_id,
        state_at_month_end.currency_code,
        state_at_month_end.status,
        state_at_month_end.is_payment_failure,
        state_at_month_end.is_paused,
        state_at_month_end.cancellation_reason,
        cast(case
            when not state_at_month_end.is_revenue_state then 0
            else {{ monthly_amount(
                apply_discounts('state_at_month_end.list_period_amount_minor', 'discounts_in_force.percent_off',
                                'discounts_in_force.amount_off_minor'),
                'state_at_month_end.recurring_interval', 'state_at_month_end.interval_count') }}
        end as decimal(38, 6)) as mrr_minor
    from state_at_month_end
    left join discounts_in_force
        on discounts_in_force.subscription_id = state_at_month_end.subscription_id
        and discounts_in_force.month = state_at_month_end.month
),

final as (
    select
        *,
        coalesce(
            lag(mrr_minor) over (partition by subscription_id order by month), cast(0 as decimal(38, 6))
        ) as previous_mrr_minor
    from measured
)

select * from final
