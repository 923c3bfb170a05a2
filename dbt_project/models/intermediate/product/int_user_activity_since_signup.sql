-- grain: one row per user with at least one active day (int_user_active_days): how active the user
-- was relative to their signup day. fct_user_activation reads this small table rather than every
-- active day of every user.
-- Incremental (delete+insert by user), like int_user_events_by_month: a run recomputes, from all
-- their active days, the users whose calls the loads it takes in changed or may have taken away, or
-- whose signup may have moved (macro users_with_changed_calls); the pre-hook first forgets them.
-- Each row carries the hash of the signup_event var it was computed under: a run that finds another
-- one held recomputes every user.
{%- set definition_hash = local_md5(var('signup_event')) %}
{%- set users_to_recompute = users_with_changed_calls() %}
{%- set only_changed_users = holds_only_definition(definition_hash) %}
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key='user_id',
    pre_hook="{{ forget_users_to_recompute(definition_hash='" ~ definition_hash ~ "') }}"
) }}

with active_days as (
    select * from {{ ref('int_user_active_days') }}
    {%- if only_changed_users %}
    where user_id in ({{ users_to_recompute }})
    {%- endif %}
),

final as (
    select
        user_id,
        {%- for n in [30, 60, 90] %}
        max(case when days_since_signup between {{ n }} and {{ n + 6 }} then 1 else 0 end) as active_week_of_day_{{ n }},
        {%- endfor %}
        count(case when days_since_signup between 0 and 29 then 1 end) as active_days_first_30,
        max(activity_date) as last_active_date,
        '{{ definition_hash }}' as definition_hash
    from active_days
    group by user_id
)

select * from final
