-- grain: one row per signup cohort (week or month) per dimension value. Dimensions: all, persona,
-- channel, onboarding_variant, plan (the account's first plan). Rates divide by users whose
-- activation window has ended by the data horizon, so a young cohort is not under-counted.
with users as (
    select * from {{ ref('fct_user_activation') }}
),

{%- set dimensions = {
    'all': "'all'",
    'persona': "coalesce(persona, 'unknown')",
    'channel': 'channel',
    'onboarding_variant': "coalesce(onboarding_variant, 'not_exposed')",
    'plan': "coalesce(first_plan, 'no_subscription')",
} %}

users_by_dimension as (
    {%- for grain in ['week', 'month'] %}
    {%- set grain_loop = loop %}
    {%- for dimension, expression in dimensions.items() %}
    select
        '{{ grain }}' as cohort_grain,
        signup_{{ grain }} as cohort_start,
        '{{ dimension }}' as dimension,
        {{ expression }} as dimension_value,
        users.*
    from users
    {% if not (grain_loop.last and loop.last) %}union all{% endif %}
    {%- endfor %}
    {%- endfor %}
),

aggregated as (
    select
        cohort_grain,
        cohort_start,
        dimension,
        dimension_value,
        count(*) as users,
        count(case when is_activation_window_complete then 1 end) as users_window_complete,
        count(case when is_activation_window_complete and is_activated then 1 end) as users_activated,
        count(case when is_activation_window_complete and is_activated_early then 1 end)
            as users_activated_early,
        count(case when is_activation_window_complete and is_onboarding_completed then 1 end)
            as users_onboarding_completed,
        -- in hundredths of an hour (integers), so the middle of two values is exact on every engine
        {{ median('cast(hours_to_value * 100 as bigint)') }} as median_hundredths_to_value
    from users_by_dimension
    group by cohort_grain, cohort_start, dimension, dimension_value
),

final as (
    select
        cohort_grain,
        cohort_start,
        dimension,
        dimension_value,
        users,
        users_window_complete,
        users_activated,
        users_activated_early,
        users_onboarding_completed,
        {{ safe_ratio('users_activated', 'users_window_complete') }} as activation_rate,
        {{ safe_ratio('users_activated_early', 'users_window_complete') }} as early_activation_rate,
        {{ safe_ratio('users_onboarding_completed', 'users_window_complete') }} as onboarding_completion_rate,
        cast({{ divide_half_up('median_hundredths_to_value', 100, scale=2, input_decimals=1) }} as decimal(12, 2))
            as median_hours_to_value
    from aggregated
)

select * from final
