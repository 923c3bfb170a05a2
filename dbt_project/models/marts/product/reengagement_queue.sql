-- grain: one row per user who needs a nudge now ("now" = the product data horizon), with the most
-- urgent reason first. Reasons (thresholds in the `reengagement` var):
--   trial_ending_unactivated: the account's trial ends within trial_ending_within_days and nobody
--     on the account has activated;
--   stuck_in_onboarding: the user started onboarding but has been at the same step longer than 90%
--     of the users who moved on from it took (the step's p90 time to the next step);
--   no_return: signed up at least no_return_after_days ago and has not been active since the
--     signup day.
-- Users who signed up more than max_signup_age_days ago are out of onboarding and not listed for
-- the last two reasons. Exported as reengagement_queue.csv beside the Parquet marts for a CRM.
{%- set config = var('reengagement') %}
{%- set funnel_steps = onboarding_funnel()['steps'] %}
with users as (
    select * from {{ ref('fct_user_activation') }}
),

steps_reached as (
    select * from {{ ref('int_user_onboarding_steps') }}
),

active_days as (
    select * from {{ ref('int_user_active_days') }}
),

subscriptions as (
    select * from {{ ref('fct_subscriptions') }}
),

horizon as (
    select * from {{ ref('int_product_horizon') }}
),

step_names as (
    {{ onboarding_step_names() }}
),

usual_step_time as (
    select
        step_number - 1 as from_step_number,
        {{ percentile_cont(dbt.datediff('previous_step_reached_at', 'reached_at', 'second') ~ ' / 3600.0', 0.9) }}
            as p90_hours_to_next
    from steps_reached
    where step_number > 1
    group by step_number - 1
),

furthest_step as (
    select
        user_id,
        max(step_number) as step_number,
        max(reached_at) as reached_at
    from steps_reached
    group by user_id
),

returned as (
    select distinct user_id
    from active_days
    where days_since_signup >= 1
),

accounts_activated as (
    select account_id
    from users
    where account_id is not null
    group by account_id
    having max(case when is_activated then 1 else 0 end) = 1
),

trials_ending as (
    select
        subscriptions.customer_id,
        min(subscriptions.trial_end_at) as trial_end_at
    from subscriptions
    cross join horizon
    where subscriptions.status = 'trialing'
        and subscriptions.trial_end_at > horizon.horizon_at
        and subscriptions.trial_end_at
        <= {{ dbt.dateadd('day', positive_int(config['trial_ending_within_days'], 'trial_ending_within_days'), 'horizon.horizon_at') }}
    group by subscriptions.customer_id
),

flagged as (
    select
        users.user_id,
        users.account_id,
        users.customer_id,
        users.persona,
        users.signed_up_at,
        users.last_active_date,
        users.onboarding_steps_completed,
        next_step.step_name as next_onboarding_step,
        trials_ending.trial_end_at,
        horizon.horizon_at as as_of_at,
        cast({{ dbt.datediff('users.signup_date', 'horizon.horizon_date', 'day') }} as bigint) as days_since_signup,
        {{ seconds_as_hours(dbt.datediff('furthest_step.reached_at', 'horizon.horizon_at', 'second')) }}
            as hours_at_step,
        trials_ending.customer_id is not null and accounts_activated.account_id is null
            as is_trial_ending_unactivated,
        furthest_step.step_number < {{ funnel_steps | length }}
            and {{ dbt.datediff('furthest_step.reached_at', 'horizon.horizon_at', 'second') }} / 3600.0
            > usual_step_time.p90_hours_to_next
            and {{ dbt.datediff('users.signup_date', 'horizon.horizon_date', 'day') }}
            <= {{ positive_int(config['max_signup_age_days'], 'max_signup_age_days') }}
            as is_stuck_in_onboarding,
        returned.user_id is null
            and {{ dbt.datediff('users.signup_date', 'horizon.horizon_date', 'day') }}
            between {{ positive_int(config['no_return_after_days'], 'no_return_after_days') }}
            and {{ positive_int(config['max_signup_age_days'], 'max_signup_age_days') }}
            as is_no_return
    from users
    cross join horizon
    left join furthest_step on users.user_id = furthest_step.user_id
    left join usual_step_time on furthest_step.step_number = usual_step_time.from_step_number
    left join step_names as next_step on furthest_step.step_number + 1 = next_step.step_number
    left join returned on users.user_id = returned.user_id
    left join trials_ending on users.customer_id = trials_ending.customer_id
    left join accounts_activated on users.account_id = accounts_activated.account_id
    where not users.is_activated
),

final as (
    select
        user_id,
        account_id,
        customer_id,
        persona,
        case
            when is_trial_ending_unactivated then 'trial_ending_unactivated'
            when is_stuck_in_onboarding then 'stuck_in_onboarding'
            else 'no_return'
        end as reason,
        concat_ws(
            ',',
            case when is_trial_ending_unactivated then 'trial_ending_unactivated' end,
            case when is_stuck_in_onboarding then 'stuck_in_onboarding' end,
            case when is_no_return then 'no_return' end
        ) as reasons,
        signed_up_at,
        days_since_signup,
        last_active_date,
        onboarding_steps_completed,
        next_onboarding_step,
        hours_at_step,
        trial_end_at,
        as_of_at
    from flagged
    where coalesce(is_trial_ending_unactivated, false)
        or coalesce(is_stuck_in_onboarding, false)
        or coalesce(is_no_return, false)
)

select * from final
