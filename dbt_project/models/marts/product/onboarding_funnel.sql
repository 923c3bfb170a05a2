-- grain: one row per onboarding funnel step (the `onboarding_funnel` var). Counts users whose
-- funnel window (window_days after their first step) has ended by the data horizon; a user counts
-- at a step when they reached it in order and inside the window (see int_user_onboarding_steps).
-- Times to convert are in hours, from the previous step and from the first step.
{%- set funnel = onboarding_funnel() %}
with steps_reached as (
    select * from {{ ref('int_user_onboarding_steps') }}
),

horizon as (
    select * from {{ ref('int_product_horizon') }}
),

step_names as (
    {{ onboarding_step_names() }}
),

complete_funnels as (
    select
        steps_reached.*,
        {{ dbt.datediff('previous_step_reached_at', 'reached_at', 'second') }} as seconds_from_previous,
        {{ dbt.datediff('funnel_started_at', 'reached_at', 'second') }} as seconds_from_start
    from steps_reached
    cross join horizon
    where {{ dbt.dateadd('day', funnel['window_days'], 'steps_reached.funnel_started_at') }}
        <= horizon.horizon_at
),

per_step as (
    select
        step_number,
        count(*) as users,
        {{ median('seconds_from_previous') }} as median_seconds_from_previous,
        {{ percentile_cont('seconds_from_previous', 0.9) }} as p90_seconds_from_previous,
        {{ median('seconds_from_start') }} as median_seconds_from_start
    from complete_funnels
    group by step_number
),

counted as (
    select
        step_names.step_number,
        step_names.step_name,
        coalesce(per_step.users, 0) as users,
        per_step.median_seconds_from_previous,
        per_step.p90_seconds_from_previous,
        per_step.median_seconds_from_start
    from step_names
    left join per_step on step_names.step_number = per_step.step_number
),

final as (
    select
        step_number,
        step_name,
        users,
        coalesce(lag(users) over (order by step_number), users) as users_previous_step,
        first_value(users) over (order by step_number) as users_started,
        coalesce(lag(users) over (order by step_number), users) - users as users_dropped_off,
        {{ safe_ratio('users', 'coalesce(lag(users) over (order by step_number), users)') }}
            as conversion_from_previous,
        {{ safe_ratio('users', 'first_value(users) over (order by step_number)') }} as conversion_from_start,
        {{ safe_ratio(
            'coalesce(lag(users) over (order by step_number), users) - users',
            'coalesce(lag(users) over (order by step_number), users)'
        ) }} as drop_off_rate,
        -- medians and the interpolated p90 of whole seconds are whole tenths of a second
        {{ seconds_as_hours('median_seconds_from_previous', input_decimals=1) }} as median_hours_from_previous,
        {{ seconds_as_hours('p90_seconds_from_previous', input_decimals=1) }} as p90_hours_from_previous,
        {{ seconds_as_hours('median_seconds_from_start', input_decimals=1) }} as median_hours_from_start
    from counted
)

select * from final
