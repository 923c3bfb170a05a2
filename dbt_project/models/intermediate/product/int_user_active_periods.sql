-- grain: one row per user per retention period (period_unit day, week or month; period_number since
-- the signup day, macro retention_periods) in which the user was active (any track call), up to the
-- last period user_retention reports. last_day is the period's last day since signup. user_retention
-- counts this table rather than every active day.
-- Incremental (delete+insert by user and period): a run recomputes the users whose calls the loads
-- it takes in changed or may have taken away, or whose signup may have moved
-- (int_users_with_changed_calls). New calls can only add periods: a user whose signup came before
-- the earliest call added or moved to them keeps what is held and has the periods of their active
-- days from that call's day on recomputed (macro changed_users_from); every other changed user is
-- forgotten by the pre-hook and recomputed from all their days (at 100M events a day's changed
-- users hold a third of all periods: rewriting them took 8 s a day). Each row carries the hash of the
-- signup_event var it was computed under: a run that finds another one held recomputes every user.
-- depends_on: {{ ref('int_users_with_changed_calls') }}, {{ ref('int_user_signups') }}
{%- set definition_hash = local_md5(var('signup_event')) %}
{%- set only_changed_users = holds_only_definition(definition_hash) %}
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key=['user_id', 'period_unit', 'period_number'],
    pre_hook="{{ forget_users_to_recompute_whole(definition_hash='" ~ definition_hash ~ "') }}"
) }}

with
{%- if only_changed_users %}
changed_users as (
    {{ changed_users_from('day') }}
),
{%- endif %}

active_days as (
    select days.*
    from {{ ref('int_user_active_days') }} as days
    {%- if only_changed_users %}
    inner join changed_users
        on days.user_id = changed_users.user_id
        and days.activity_date >= changed_users.from_date
    {%- endif %}
),

-- each active day falls in exactly one period per unit: computed, not joined by range. A day is its
-- own day period; a week or a month with many active days is one row (deduplicated on the user and
-- the number only: at 100M events a distinct over every column ran out of DuckDB's 2.5GB)
active_periods as (
    {%- for unit, spec in retention_periods().items() %}
    select user_id, '{{ unit }}' as period_unit, period_number, {{ spec[0] }} as period_days
    from (
        select{{ ' distinct' if spec[0] > 1 }}
            user_id,
            cast({{ integer_divide('days_since_signup', spec[0]) }} as bigint) as period_number
        from active_days
        where days_since_signup between 0 and {{ (spec[1] + 1) * spec[0] - 1 }}
    ) as {{ unit }}_periods
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

final as (
    select
        user_id,
        period_unit,
        period_number,
        (period_number + 1) * period_days - 1 as last_day,
        '{{ definition_hash }}' as definition_hash
    from active_periods
)

select * from final
