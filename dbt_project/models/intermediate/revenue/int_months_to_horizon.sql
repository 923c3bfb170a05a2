-- grain: one row per calendar month, from the month of the first subscription event to the month of
-- the last Stripe event (the data horizon). `measured_before` is the instant a month is measured at:
-- the start of the next month, or just after the last event for the horizon month. `horizon_at` is
-- the last event's time: "today" for the operational marts (renewals, receivables).
with events as (
    select * from {{ ref('stg_stripe__events') }}
),

subscription_events as (
    select * from {{ ref('stg_stripe__subscription_snapshots') }}
),

bounds as (
    select
        cast({{ dbt.date_trunc('month', 'min(subscription_events.snapshot_at)') }} as date) as first_month,
        (select max(events.created_at) from events) as horizon_at
    from subscription_events
),

numbers as (
    {{ dbt.generate_series(1200) }}
),

months as (
    select
        cast({{ dbt.dateadd('month', 'numbers.generated_number - 1', 'bounds.first_month') }} as date) as month,
        bounds.horizon_at
    from numbers
    cross join bounds
    where bounds.first_month is not null
),

final as (
    select
        month,
        case
            when month = cast({{ dbt.date_trunc('month', 'horizon_at') }} as date)
                then {{ dbt.dateadd('second', 1, 'horizon_at') }}
            else cast({{ dbt.dateadd('month', 1, 'month') }} as timestamp)
        end as measured_before,
        month = cast({{ dbt.date_trunc('month', 'horizon_at') }} as date) as is_horizon_month,
        horizon_at
    from months
    where month <= cast({{ dbt.date_trunc('month', 'horizon_at') }} as date)
)

select * from final
