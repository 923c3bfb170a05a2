-- grain: one row per candidate behaviour: each taxonomy event marked is_activation_candidate
-- ("did it within impact_window_days of signup"), each configured milestone, and "activated early"
-- (within early_activation_hours). For users whose candidate window has ended, it compares those
-- who did it with those who did not on four outcomes: retained in the week from day 30 and from day
-- 90, trial converted to paid (decided trials only) and first renewal paid (renewals already due).
-- Each outcome's rates use only users whose outcome is known. Lift = rate(did) - rate(did not): an
-- association to look into, not a proven cause. Ranked by retention lift within each type.
{%- set milestones = activation_milestones() %}
{%- set impact_days = positive_int(var('impact_window_days'), 'impact_window_days') | int %}
with users as (
    select * from {{ ref('fct_user_activation') }}
),

milestones as (
    select * from {{ ref('int_user_milestones_reached') }}
),

events_by_month as (
    select * from {{ ref('int_user_events_by_month') }}
),

taxonomy as (
    select * from {{ ref('event_taxonomy') }}
    where is_activation_candidate
),

horizon as (
    select * from {{ ref('int_product_horizon') }}
),

candidates as (
    select 'event' as candidate_type, event_name as candidate, {{ impact_days }} as window_days
    from taxonomy
    {%- for name, milestone in milestones.items() %}
    union all
    select 'milestone' as candidate_type, '{{ name }}' as candidate, {{ milestone['window_days'] | int }} as window_days
    {%- endfor %}
    union all
    select
        'milestone' as candidate_type,
        'activated_early' as candidate,
        {{ ((positive_int(var('early_activation_hours'), 'early_activation_hours') | int) + 23) // 24 }} as window_days
),

events_done as (
    select distinct
        users.user_id,
        events_by_month.event_name as candidate
    from users
    inner join events_by_month
        on users.user_id = events_by_month.user_id
        and events_by_month.first_after_signup_at < {{ dbt.dateadd('day', impact_days, 'users.signed_up_at') }}
),

done as (
    select user_id, 'event' as candidate_type, candidate from events_done
    union all
    select user_id, 'milestone' as candidate_type, milestone as candidate from milestones
    union all
    select user_id, 'milestone' as candidate_type, 'activated_early' as candidate from users where is_activated_early
),

{%- set outcomes = ['is_retained_day_30', 'is_retained_day_90', 'is_trial_converted', 'is_renewed'] %}

user_outcomes as (
    select
        user_id,
        signed_up_at,
        is_retained_day_30,
        is_retained_day_90,
        case trial_outcome when 'converted' then true when 'not_converted' then false end as is_trial_converted,
        is_renewed
    from users
),

window_lengths as (
    select distinct window_days from candidates
),

-- per window length, the users whose window after signup has ended: how many, and how many of them
-- have each outcome known and true
eligible as (
    select
        window_lengths.window_days,
        count(*) as users,
        {%- for outcome in outcomes %}
        count({{ outcome }}) as {{ outcome }}_known,
        count(case when {{ outcome }} then 1 end) as {{ outcome }}_true{{ ',' if not loop.last }}
        {%- endfor %}
    from user_outcomes
    cross join window_lengths
    cross join horizon
    where {{ dbt.dateadd('day', 'window_lengths.window_days', 'user_outcomes.signed_up_at') }} <= horizon.horizon_at
    group by window_lengths.window_days
),

-- the same counts among those of them who did the candidate; those who did not are the difference
eligible_did as (
    select
        candidates.candidate_type,
        candidates.candidate,
        count(*) as users_did,
        {%- for outcome in outcomes %}
        count(user_outcomes.{{ outcome }}) as {{ outcome }}_known_did,
        count(case when user_outcomes.{{ outcome }} then 1 end) as {{ outcome }}_true_did{{ ',' if not loop.last }}
        {%- endfor %}
    from done
    inner join candidates
        on done.candidate_type = candidates.candidate_type and done.candidate = candidates.candidate
    inner join user_outcomes on done.user_id = user_outcomes.user_id
    cross join horizon
    where {{ dbt.dateadd('day', 'candidates.window_days', 'user_outcomes.signed_up_at') }} <= horizon.horizon_at
    group by candidates.candidate_type, candidates.candidate
),

aggregated as (
    select
        candidates.candidate_type,
        candidates.candidate,
        candidates.window_days,
        eligible.users,
        coalesce(eligible_did.users_did, 0) as users_did,
        {%- for outcome in outcomes %}
        coalesce(eligible_did.{{ outcome }}_known_did, 0) as {{ outcome }}_known_did,
        coalesce(eligible_did.{{ outcome }}_true_did, 0) as {{ outcome }}_true_did,
        eligible.{{ outcome }}_known - coalesce(eligible_did.{{ outcome }}_known_did, 0) as {{ outcome }}_known_did_not,
        eligible.{{ outcome }}_true - coalesce(eligible_did.{{ outcome }}_true_did, 0) as {{ outcome }}_true_did_not{{ ',' if not loop.last }}
        {%- endfor %}
    from candidates
    inner join eligible on candidates.window_days = eligible.window_days
    left join eligible_did
        on candidates.candidate_type = eligible_did.candidate_type and candidates.candidate = eligible_did.candidate
),

{%- set outcome_names = {
    'is_retained_day_30': 'retention_day_30',
    'is_retained_day_90': 'retention_day_90',
    'is_trial_converted': 'trial_conversion',
    'is_renewed': 'renewal',
} %}

rates as (
    select
        candidate_type,
        candidate,
        window_days,
        users,
        users_did,
        {{ safe_ratio('users_did', 'users') }} as reach,
        {%- for outcome, name in outcome_names.items() %}
        {{ safe_ratio(outcome ~ '_true_did', outcome ~ '_known_did') }} as {{ name }}_did,
        {{ safe_ratio(outcome ~ '_true_did_not', outcome ~ '_known_did_not') }} as {{ name }}_did_not{{ ',' if not loop.last }}
        {%- endfor %}
    from aggregated
),

final as (
    select
        *,
        {%- for name in outcome_names.values() %}
        cast({{ name }}_did - {{ name }}_did_not as decimal(18, 6)) as {{ name }}_lift,
        {%- endfor %}
        cast(rank() over (
            partition by candidate_type
            order by case when retention_day_30_did - retention_day_30_did_not is null then 1 else 0 end,
                retention_day_30_did - retention_day_30_did_not desc
        ) as bigint) as rank_by_retention_lift
    from rates
)

select * from final
