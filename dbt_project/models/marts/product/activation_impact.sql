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

tracks as (
    select * from {{ ref('int_tracks_stitched_to_users') }}
    where user_id is not null
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
        tracks.event_name as candidate
    from users
    inner join tracks
        on users.user_id = tracks.user_id
        and tracks.occurred_at >= users.signed_up_at
        and tracks.occurred_at < {{ dbt.dateadd('day', impact_days, 'users.signed_up_at') }}
),

done as (
    select user_id, 'event' as candidate_type, candidate from events_done
    union all
    select user_id, 'milestone' as candidate_type, milestone as candidate from milestones
    union all
    select user_id, 'milestone' as candidate_type, 'activated_early' as candidate from users where is_activated_early
),

user_candidates as (
    select
        candidates.candidate_type,
        candidates.candidate,
        candidates.window_days,
        done.user_id is not null as did,
        users.is_retained_day_30,
        users.is_retained_day_90,
        case users.trial_outcome when 'converted' then true when 'not_converted' then false end as is_trial_converted,
        users.is_renewed
    from users
    cross join candidates
    cross join horizon
    left join done
        on users.user_id = done.user_id
        and candidates.candidate_type = done.candidate_type
        and candidates.candidate = done.candidate
    where {{ dbt.dateadd('day', 'candidates.window_days', 'users.signed_up_at') }} <= horizon.horizon_at
),

{%- set outcomes = ['is_retained_day_30', 'is_retained_day_90', 'is_trial_converted', 'is_renewed'] %}

aggregated as (
    select
        candidate_type,
        candidate,
        window_days,
        count(*) as users,
        count(case when did then 1 end) as users_did,
        {%- for outcome in outcomes %}
        count(case when did and {{ outcome }} is not null then 1 end) as {{ outcome }}_known_did,
        count(case when did and {{ outcome }} then 1 end) as {{ outcome }}_true_did,
        count(case when not did and {{ outcome }} is not null then 1 end) as {{ outcome }}_known_did_not,
        count(case when not did and {{ outcome }} then 1 end) as {{ outcome }}_true_did_not{{ ',' if not loop.last }}
        {%- endfor %}
    from user_candidates
    group by candidate_type, candidate, window_days
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
