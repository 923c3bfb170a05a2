-- grain: one row per user per track event name per calendar month (UTC) in which the user sent it:
-- events counts the calls; first_after_signup_at is the earliest of them at or after the user's
-- signup (NULL when every one came before it). The marts that count who used what (feature_adoption,
-- activation_impact) read this small table rather than every call.
-- Incremental (delete+insert by user): a run recomputes, from all their calls, the users whose calls
-- the loads it takes in changed or may have taken away, or whose signup may have moved (macro
-- users_with_changed_calls); the pre-hook first forgets what is held for them, since a user can lose
-- calls (stitched to another user). Each row carries the hash of the signup_event var it was
-- computed under: a run that finds another one held recomputes every user.
{%- set definition_hash = local_md5(var('signup_event')) %}
{%- set users_to_recompute = users_with_changed_calls() %}
{%- set only_changed_users = holds_only_definition(definition_hash) %}
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key='user_id',
    on_schema_change='fail',
    pre_hook="{{ forget_users_to_recompute(definition_hash='" ~ definition_hash ~ "') }}"
) }}

with tracks as (
    select * from {{ ref('int_tracks_stitched_to_users') }}
    where user_id is not null
    {%- if only_changed_users %}
        and user_id in ({{ users_to_recompute }})
    {%- endif %}
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
