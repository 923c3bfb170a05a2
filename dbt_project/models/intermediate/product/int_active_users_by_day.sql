-- grain: one row per UTC day up to the data horizon with at least one user active in the 30 days
-- ending that day. DAU: users with a track call that day; WAU / MAU: users with one in the 7 / 30
-- days ending that day.
-- Incremental (delete+insert by day): a user-day that int_user_active_days rewrote since the last run
-- changes the counts of its day and the 29 after it; those days are recounted, with the days the
-- horizon moved past since the last run. stitched_through is the newest of the user-days counted.
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key='day'
) }}
{#- the windows counted, in days; the longest (MAU's) bounds how far a user-day reaches -#}
{%- set windows = [(1, 'dau'), (7, 'wau'), (30, 'mau')] %}
{%- set longest_window = windows | map('first') | max %}

with active_days as (
    select * from {{ ref('int_user_active_days') }}
),

horizon as (
    select * from {{ ref('int_product_horizon') }}
),

offsets as (
    {{ dbt.generate_series(longest_window) }}
),

{% if is_incremental() %}
-- the days whose counts a user-day stitched since the last run changes: its day and the 29 after it
changed_days as (
    select distinct
        cast({{ dbt.dateadd('day', 'offsets.generated_number - 1', 'active_days.activity_date') }} as date) as day
    from active_days
    cross join offsets
    where active_days.stitched_through >= {{ incremental_cutoff('stitched_through') }}
),

last_counted as (
    select coalesce(max(day), {{ the_beginning('date') }}) as day from {{ this }}
),

first_recounted as (
    select least(
        coalesce((select min(day) from changed_days), last_counted.day),
        cast({{ dbt.dateadd('day', 1, 'last_counted.day') }} as date)
    ) as day
    from last_counted
),

{% endif %}
-- Each user-day covers, for a window of W days (1, 7, 30), the days from its date, or from the day the
-- user's previous active day stops covering (previous + W) if later, to its date + W - 1. A user is
-- counted on a day when one of their user-days covers it, so each count is a running sum of +1 where
-- a span starts and -1 the day after it ends: no row per user-day and day, no count(distinct).
-- An incremental run reads the user-days from 29 days before the first recounted day: a previous
-- active day older than that only changes the spans' starts before the first recounted day.
spans as (
    select
        activity_date,
        stitched_through,
        lag(activity_date) over (partition by user_id order by activity_date) as previous_date
    from active_days
    {%- if is_incremental() %}
    where active_days.activity_date >= (
        select cast({{ dbt.dateadd('day', 1 - longest_window, 'first_recounted.day') }} as date) from first_recounted
    )
    {%- endif %}
),

span_edges as (
    {%- for window_days, column in windows %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select
        case
            when previous_date is null then activity_date
            else greatest(activity_date, cast({{ dbt.dateadd('day', window_days, 'previous_date') }} as date))
        end as day,
        '{{ column }}' as counted,
        1 as change
    from spans
    union all
    select cast({{ dbt.dateadd('day', window_days, 'activity_date') }} as date) as day, '{{ column }}' as counted, -1 as change
    from spans
    {%- endfor %}
),

changes as (
    select
        day,
        sum(case when counted = 'dau' then change else 0 end) as dau_change,
        sum(case when counted = 'wau' then change else 0 end) as wau_change,
        sum(case when counted = 'mau' then change else 0 end) as mau_change
    from span_edges
    group by day
),

-- the days some user-day covers, with the newest stitched_through among those user-days
covered_days as (
    select
        cast({{ dbt.dateadd('day', 'offsets.generated_number - 1', 'dated.activity_date') }} as date) as day,
        max(dated.stitched_through) as stitched_through,
        true as is_covered
    from (
        select activity_date, max(stitched_through) as stitched_through from spans group by activity_date
    ) as dated
    cross join offsets
    group by {{ dbt.dateadd('day', 'offsets.generated_number - 1', 'dated.activity_date') }}
),

timeline as (
    select
        coalesce(covered_days.day, changes.day) as day,
        covered_days.stitched_through,
        covered_days.is_covered,
        coalesce(changes.dau_change, 0) as dau_change,
        coalesce(changes.wau_change, 0) as wau_change,
        coalesce(changes.mau_change, 0) as mau_change
    from covered_days
    full outer join changes on covered_days.day = changes.day
),

running as (
    select
        day,
        stitched_through,
        is_covered,
        sum(dau_change) over (order by day rows between unbounded preceding and current row) as dau,
        sum(wau_change) over (order by day rows between unbounded preceding and current row) as wau,
        sum(mau_change) over (order by day rows between unbounded preceding and current row) as mau
    from timeline
),

final as (
    select
        running.day,
        cast(running.dau as bigint) as dau,
        cast(running.wau as bigint) as wau,
        cast(running.mau as bigint) as mau,
        running.stitched_through
    from running
    cross join horizon
    where running.is_covered and running.day <= horizon.horizon_date
    {%- if is_incremental() %}
        and (
            running.day in (select day from changed_days)
            or running.day > (select day from last_counted)
        )
    {%- endif %}
)

select * from final
