-- grain: one row per experiment per variant (Segment "Experiment Viewed" exposures). The metric is
-- activation (the `activated` milestone) among exposed users whose activation window has ended.
-- Each variant is compared with the experiment's control (var experiment_control_variant):
-- 95% Wilson interval of the rate, absolute lift with Newcombe's hybrid score interval, relative
-- lift, and the two-sided p-value of the pooled two-proportion z-test. Users exposed to several
-- variants of one experiment are excluded.
with exposures as (
    select * from {{ ref('int_experiment_exposures') }}
    where not has_conflicting_exposures
),

users as (
    select * from {{ ref('fct_user_activation') }}
),

per_variant as (
    select
        exposures.experiment_id,
        exposures.variant,
        exposures.variant = {{ sql_string(var('experiment_control_variant')) }} as is_control,
        count(*) as users_exposed,
        count(case when users.is_activation_window_complete then 1 end) as users,
        count(case when users.is_activation_window_complete and users.is_activated then 1 end)
            as users_activated
    from exposures
    inner join users on exposures.user_id = users.user_id
    group by exposures.experiment_id, exposures.variant
),

with_intervals as (
    select
        *,
        case when users > 0 then cast(users_activated as double) / users end as rate,
        {{ wilson_bound('users_activated', 'users', -1) }} as rate_low,
        {{ wilson_bound('users_activated', 'users', 1) }} as rate_high
    from per_variant
),

compared as (
    select
        variant.*,
        control.users as control_users,
        control.users_activated as control_users_activated,
        control.rate as control_rate,
        control.rate_low as control_rate_low,
        control.rate_high as control_rate_high,
        case when variant.users + control.users > 0 then
            cast(variant.users_activated + control.users_activated as double) / (variant.users + control.users)
        end as pooled_rate
    from with_intervals as variant
    left join with_intervals as control
        on variant.experiment_id = control.experiment_id and control.is_control
),

tested as (
    select
        *,
        case
            when not is_control and users > 0 and control_users > 0 and pooled_rate > 0 and pooled_rate < 1
                then (rate - control_rate)
                / sqrt(pooled_rate * (1 - pooled_rate) * (1.0 / users + 1.0 / control_users))
        end as z_statistic
    from compared
),

final as (
    select
        experiment_id,
        variant,
        is_control,
        users_exposed,
        users,
        users_activated,
        {{ safe_ratio('users_activated', 'users') }} as activation_rate,
        cast(round(rate_low, 6) as decimal(18, 6)) as activation_rate_ci_low,
        cast(round(rate_high, 6) as decimal(18, 6)) as activation_rate_ci_high,
        case when not is_control then {{ safe_ratio(
            'users_activated * control_users - control_users_activated * users', 'users * control_users'
        ) }} end as absolute_lift,
        cast(round(case when not is_control then
            rate - control_rate - sqrt(power(rate - rate_low, 2) + power(control_rate_high - control_rate, 2))
        end, 6) as decimal(18, 6)) as absolute_lift_ci_low,
        cast(round(case when not is_control then
            rate - control_rate + sqrt(power(rate_high - rate, 2) + power(control_rate - control_rate_low, 2))
        end, 6) as decimal(18, 6)) as absolute_lift_ci_high,
        case when not is_control then {{ safe_ratio(
            'users_activated * control_users - control_users_activated * users', 'users * control_users_activated'
        ) }} end as relative_lift,
        cast(round(z_statistic, 6) as decimal(18, 6)) as z_statistic,
        cast(round({{ two_sided_p_value('z_statistic') }}, 6) as decimal(18, 6)) as p_value
    from tested
)

select * from final
