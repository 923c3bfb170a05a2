-- grain: one row per user per retention period (period_unit day, week or month; period_number since
-- the signup day, macro retention_periods) in which the user was active (any track call), up to the
-- last period user_retention reports. last_day is the period's last day since signup. user_retention
-- counts this table rather than every active day.
-- Incremental (delete+insert by user), like int_user_activity_since_signup: a run recomputes the
-- users whose calls the loads it takes in changed or may have taken away, or whose signup may have
-- moved (macro users_with_changed_calls); the pre-hook first forgets them. Each row carries the hash
-- of the signup_event var it was computed under: a run that finds another one held recomputes every
-- user.
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

with active_days as (
    select * from {{ ref('int_user_active_days') }}
    {%- if only_changed_users %}
    where user_id in ({{ users_to_recompute }})
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
