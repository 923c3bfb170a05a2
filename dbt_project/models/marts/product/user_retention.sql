-- grain: one row per signup cohort (cohort_grain week or month, cohort_start) per period
-- (period_unit day, week or month; period_number since signup). Periods count calendar days from
-- the signup day (day 0): week n is days 7n..7n+6, month n is days 30n..30n+29. "Active" means any
-- track call. Two measures, as in Amplitude:
--   retention_rate: active during period n, among users whose period n has fully passed;
--   unbounded_retention_rate: active in period n or any later one ("on or after"), among users
--   whose period n has started.
-- Day periods go to day 90, weeks to week 104, months to month 36 (macro retention_periods); rows
-- no user can observe yet are left out. Each user's active periods: int_user_active_periods.
with users as (
    select * from {{ ref('fct_user_activation') }}
),

-- a user's active periods, once each
user_periods as (
    select * from {{ ref('int_user_active_periods') }}
),

horizon as (
    select * from {{ ref('int_product_horizon') }}
),

{%- set units = retention_periods() %}

-- period numbers 0 up to the last one any unit reports
numbers as (
    {{ dbt.generate_series(units.values() | map(attribute=1) | max + 1) }}
),

periods as (
    {%- for unit, spec in units.items() %}
    select
        '{{ unit }}' as period_unit,
        cast(generated_number - 1 as bigint) as period_number,
        (generated_number - 1) * {{ spec[0] }} as first_day,
        (generated_number - 1) * {{ spec[0] }} + {{ spec[0] - 1 }} as last_day
    from numbers
    where generated_number - 1 <= {{ spec[1] }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

cohort_users as (
    {%- for grain in ['week', 'month'] %}
    select
        '{{ grain }}' as cohort_grain,
        signup_{{ grain }} as cohort_start,
        user_id,
        signup_date
    from users
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

cohort_signup_days as (
    select
        cohort_grain,
        cohort_start,
        signup_date,
        count(*) as users
    from cohort_users
    group by cohort_grain, cohort_start, signup_date
),

observable as (
    select
        cohort_signup_days.cohort_grain,
        cohort_signup_days.cohort_start,
        periods.period_unit,
        periods.period_number,
        cast(sum(cohort_signup_days.users) as bigint) as cohort_users,
        cast(sum(case
            when {{ dbt.dateadd('day', 'periods.last_day', 'cohort_signup_days.signup_date') }}
                <= horizon.horizon_date
                then cohort_signup_days.users else 0
        end) as bigint) as users_period_complete,
        cast(sum(case
            when {{ dbt.dateadd('day', 'periods.first_day', 'cohort_signup_days.signup_date') }}
                <= horizon.horizon_date
                then cohort_signup_days.users else 0
        end) as bigint) as users_period_started
    from cohort_signup_days
    cross join periods
    cross join horizon
    group by cohort_signup_days.cohort_grain, cohort_signup_days.cohort_start, periods.period_unit, periods.period_number
),

-- counted per signup day first (a cohort is a set of signup days), then rolled up per cohort grain,
-- so each user's periods are counted once rather than once per grain
active_by_signup_day as (
    select
        users.signup_date,
        users.signup_week,
        users.signup_month,
        user_periods.period_unit,
        user_periods.period_number,
        count(case
            when {{ dbt.dateadd('day', 'user_periods.last_day', 'users.signup_date') }} <= horizon.horizon_date
                then 1
        end) as users_active
    from user_periods
    inner join users on user_periods.user_id = users.user_id
    cross join horizon
    group by users.signup_date, users.signup_week, users.signup_month, user_periods.period_unit, user_periods.period_number
),

active_in_period as (
    {%- for grain in ['week', 'month'] %}
    select
        '{{ grain }}' as cohort_grain,
        signup_{{ grain }} as cohort_start,
        period_unit,
        period_number,
        cast(sum(users_active) as bigint) as users_active
    from active_by_signup_day
    group by signup_{{ grain }}, period_unit, period_number
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

last_active_period as (
    select
        user_id,
        period_unit,
        max(period_number) as last_period_number
    from user_periods
    group by user_id, period_unit
),

last_active_by_signup_week_and_month as (
    select
        users.signup_week,
        users.signup_month,
        last_active_period.period_unit,
        last_active_period.last_period_number,
        count(*) as users
    from last_active_period
    inner join users on last_active_period.user_id = users.user_id
    group by users.signup_week, users.signup_month, last_active_period.period_unit, last_active_period.last_period_number
),

last_active_histogram as (
    {%- for grain in ['week', 'month'] %}
    select
        '{{ grain }}' as cohort_grain,
        signup_{{ grain }} as cohort_start,
        period_unit,
        last_period_number,
        cast(sum(users) as bigint) as users
    from last_active_by_signup_week_and_month
    group by signup_{{ grain }}, period_unit, last_period_number
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

active_on_or_after as (
    select
        observable.cohort_grain,
        observable.cohort_start,
        observable.period_unit,
        observable.period_number,
        cast(coalesce(sum(last_active_histogram.users), 0) as bigint) as users_active_on_or_after
    from observable
    left join last_active_histogram
        on observable.cohort_grain = last_active_histogram.cohort_grain
        and observable.cohort_start = last_active_histogram.cohort_start
        and observable.period_unit = last_active_histogram.period_unit
        and last_active_histogram.last_period_number >= observable.period_number
    group by observable.cohort_grain, observable.cohort_start, observable.period_unit, observable.period_number
),

final as (
    select
        observable.cohort_grain,
        observable.cohort_start,
        observable.period_unit,
        observable.period_number,
        observable.cohort_users,
        observable.users_period_complete,
        coalesce(active_in_period.users_active, 0) as users_active,
        {{ safe_ratio('coalesce(active_in_period.users_active, 0)', 'observable.users_period_complete') }}
            as retention_rate,
        observable.users_period_started,
        active_on_or_after.users_active_on_or_after,
        {{ safe_ratio('active_on_or_after.users_active_on_or_after', 'observable.users_period_started') }}
            as unbounded_retention_rate
    from observable
    inner join active_on_or_after
        on observable.cohort_grain = active_on_or_after.cohort_grain
        and observable.cohort_start = active_on_or_after.cohort_start
        and observable.period_unit = active_on_or_after.period_unit
        and observable.period_number = active_on_or_after.period_number
    left join active_in_period
        on observable.cohort_grain = active_in_period.cohort_grain
        and observable.cohort_start = active_in_period.cohort_start
        and observable.period_unit = active_in_period.period_unit
        and observable.period_number = active_in_period.period_number
    where observable.users_period_started > 0
)

select * from final
