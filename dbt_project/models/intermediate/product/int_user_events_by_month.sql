-- grain: one row per user per track event name per calendar month (UTC) in which the user sent it:
-- events counts the calls; first_after_signup_at is the earliest of them at or after the user's
-- signup (NULL when every one came before it). The marts that count who used what (feature_adoption,
-- activation_impact) read this small table rather than every call.
-- Incremental (delete+insert by user and month): a run recomputes, from all their calls, the months
-- of the users whose calls the loads it takes in changed or may have taken away, or whose signup may
-- have moved (int_users_with_changed_calls): the months from that of the earliest call added or
-- moved to the user on, when the signup came before it; every month of a user who may have lost
-- calls (stitched to another user) or whose signup may have moved (macro changed_users_from).
-- The pre-hook first forgets those months (macro forget_user_months_to_recompute). Each row carries
-- the hash of the signup_event var it was computed under: a run that finds another one held
-- recomputes every user.
-- depends_on: {{ ref('int_users_with_changed_calls') }}
{%- set definition_hash = local_md5(var('signup_event')) %}
{%- set only_changed_users = holds_only_definition(definition_hash) %}
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key=['user_id', 'month'],
    pre_hook="{{ forget_user_months_to_recompute(definition_hash='" ~ definition_hash ~ "') }}"
) }}

with
{%- if only_changed_users %}
changed_users as (
    {{ changed_users_from('month') }}
),
{%- endif %}

tracks as (
    select stitched.*
    from {{ ref('int_tracks_stitched_to_users') }} as stitched
    {%- if only_changed_users %}
    inner join changed_users
        on stitched.user_id = changed_users.user_id
        and stitched.occurred_date >= changed_users.from_date
    {%- endif %}
    where stitched.user_id is not null
),

signups as (
    select * from {{ ref('int_user_signups') }}
),

final as (
    select
        tracks.user_id,
        tracks.event_name,
        cast({{ dbt.date_trunc('month', 'tracks.occurred_date') }} as date) as month,
        count(*) as events,
        min(case when tracks.occurred_at >= signups.signed_up_at then tracks.occurred_at end)
            as first_after_signup_at,
        '{{ definition_hash }}' as definition_hash
    from tracks
    left join signups on tracks.user_id = signups.user_id
    group by tracks.user_id, tracks.event_name, cast({{ dbt.date_trunc('month', 'tracks.occurred_date') }} as date)
)

select * from final
