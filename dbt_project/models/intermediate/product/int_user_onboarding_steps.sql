-- grain: one row per user per onboarding funnel step reached (steps from the `onboarding_funnel`
-- var). Funnel semantics as in Mixpanel and Amplitude: step 1 is the user's first step-1 event (a
-- repeated step 1 does not restart the funnel); each later step counts at its first event at or
-- after the previous step's, and only within `window_days` of step 1. A step done before the
-- previous one does not count until it is done again in order.
{%- set funnel = onboarding_funnel() %}
{%- set steps = funnel['steps'] %}
with tracks as (
    select * from {{ ref('int_lifecycle_calls') }}
    where user_id is not null
),

step_events as (
    {%- for step in steps %}
    select user_id, {{ loop.index }} as step_number, occurred_at
    from tracks
    where {{ event_matches(step, 'onboarding_funnel.steps') }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

step_1 as (
    select
        user_id,
        min(occurred_at) as reached_at,
        min(occurred_at) as funnel_started_at
    from step_events
    where step_number = 1
    group by user_id
),
{%- for step in steps[1:] %}
{%- set n = loop.index + 1 %}

step_{{ n }} as (
    select
        previous_step.user_id,
        min(step_events.occurred_at) as reached_at,
        previous_step.funnel_started_at
    from step_{{ n - 1 }} as previous_step
    inner join step_events
        on previous_step.user_id = step_events.user_id
        and step_events.step_number = {{ n }}
        and step_events.occurred_at >= previous_step.reached_at
        and step_events.occurred_at
        < {{ dbt.dateadd('day', positive_int(funnel['window_days'], 'window_days'), 'previous_step.funnel_started_at') }}
    group by previous_step.user_id, previous_step.funnel_started_at
),
{%- endfor %}

steps_reached as (
    {%- for step in steps %}
    select
        user_id,
        {{ loop.index }} as step_number,
        {{ sql_string(step['step']) }} as step_name,
        reached_at,
        funnel_started_at
    from step_{{ loop.index }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

final as (
    select
        user_id,
        step_number,
        step_name,
        reached_at,
        funnel_started_at,
        lag(reached_at) over (partition by user_id order by step_number) as previous_step_reached_at
    from steps_reached
)

select * from final
