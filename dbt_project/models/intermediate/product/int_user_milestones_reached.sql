-- grain: one row per user per milestone reached (activated, setup, aha, habit, ... as configured in
-- the `activation_milestones` var). A milestone is reached when every one of its criteria is met
-- within its window after signup; reached_at is when the last of them was met. A criterion counts
-- either qualifying events (the n-th one meets it) or distinct UTC days with one (the first event of
-- the n-th day meets it). Events before the signup or at/after the window's end never count.
-- Incremental (delete+insert by user): a run recomputes, from all their calls, the users whose calls
-- the loads it takes in changed within the longest window after their signup, or may have taken
-- away (macro users_with_changed_calls); the pre-hook first forgets what is held for them, since a
-- user can lose a milestone (a signup that moved, calls stitched to another user). Each row carries
-- the hash of the definition it was computed under (the activation_milestones and signup_event
-- vars): a run that finds another one held forgets every row and recomputes every user.
{%- set milestones = activation_milestones() %}
{%- set longest_window = milestones.values() | map(attribute='window_days') | map('int') | max %}
{%- set definition_hash = local_md5((milestones | tojson) ~ var('signup_event')) %}
{%- set users_to_recompute = users_with_changed_calls(within_days_of_signup=longest_window) %}
{%- set only_changed_users = holds_only_definition(definition_hash) %}
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key='user_id',
    pre_hook="{{ forget_users_to_recompute(definition_hash='" ~ definition_hash
        ~ "', within_days_of_signup=" ~ longest_window ~ ") }}"
) }}

with signups as (
    select * from {{ ref('int_user_signups') }}
),

tracks as (
    select * from {{ ref('int_tracks_stitched_to_users') }}
    where user_id is not null
    {%- if only_changed_users %}
        and user_id in ({{ users_to_recompute }})
    {%- endif %}
),

events_after_signup as (
    select
        tracks.user_id,
        tracks.message_id,
        tracks.event_name,
        tracks.properties,
        tracks.occurred_at,
        tracks.occurred_date,
        signups.signed_up_at
    from tracks
    inner join signups on tracks.user_id = signups.user_id
    where tracks.occurred_at >= signups.signed_up_at
),

-- The units each criterion counts, with the moment each was met: a qualifying event, or a distinct
-- UTC day with one (met by its first event). Only that moment is kept, so ties between units never
-- change a result.
criterion_units as (
    {%- for name, milestone in milestones.items() %}
    {%- set milestone_loop = loop %}
    {%- for criterion in milestone['criteria'] %}
    {%- set by_day = criterion.get('count_by', 'event') == 'day' %}
    select
        user_id,
        '{{ name }}' as milestone,
        {{ loop.index }} as criterion_number,
        {{ positive_int(criterion.get('min_count', 1), 'min_count') }} as min_count,
        {{ 'min(occurred_at)' if by_day else 'occurred_at' }} as occurred_at
    from events_after_signup
    where {{ event_matches(criterion, 'activation_milestones.' ~ name) }}
        and occurred_at < {{ dbt.dateadd('day', positive_int(milestone['window_days'], 'window_days'), 'signed_up_at') }}
    {%- if by_day %}
    group by user_id, occurred_date
    {%- endif %}
    {% if not (milestone_loop.last and loop.last) %}union all{% endif %}
    {%- endfor %}
    {%- endfor %}
),

units_ranked as (
    select
        *,
        row_number() over (
            partition by user_id, milestone, criterion_number order by occurred_at
        ) as unit_rank
    from criterion_units
),

criteria_met as (
    select
        user_id,
        milestone,
        criterion_number,
        occurred_at as met_at
    from units_ranked
    where unit_rank = min_count
),

criteria_needed as (
    {%- for name, milestone in milestones.items() %}
    select '{{ name }}' as milestone, {{ milestone['criteria'] | length }} as criteria_count
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

final as (
    select
        criteria_met.user_id,
        criteria_met.milestone,
        max(criteria_met.met_at) as reached_at,
        '{{ definition_hash }}' as definition_hash
    from criteria_met
    inner join criteria_needed on criteria_met.milestone = criteria_needed.milestone
    group by criteria_met.user_id, criteria_met.milestone, criteria_needed.criteria_count
    having count(*) = criteria_needed.criteria_count
)

select * from final
