-- grain: one row per UTC day up to the data horizon with at least one user active in the 30 days
-- ending that day. DAU: users with a track call that day; WAU / MAU: users with one in the 7 / 30
-- days ending that day.
-- Incremental (delete+insert by day): a user-day that int_user_active_days rewrote since the last run
-- changes the counts of its day and the 29 after it; those days are recounted, with the days the
-- horizon moved past since the last run. stitched_through is the newest of the user-days counted.
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key='day',
    on_schema_change='fail'
) }}

with active_days as (
    select * from {{ ref('int_user_active_days') }}
),

horizon as (
    select * from {{ ref('int_product_horizon') }}
),

offsets as (
    {{ dbt.generate_series(30) }}
),

{% if is_incremental() %}
-- The day expression is written here and in covered_days on purpose: one CTE read by both would be
-- materialized by DuckDB over the whole history, 30 rows per user-day, before either filter applies.
changed_days as (
    select distinct
        cast({{ dbt.dateadd('day', 'offsets.generated_number - 1', 'active_days.activity_date') }} as date) as day
    from active_days
    cross join offsets
    where active_days.stitched_through >= {{ incremental_cutoff('stitched_through') }}
),

last_counted as (
    select coalesce(max(day), cast('1970-01-01' as date)) as day from {{ this }}
),

first_recounted as (
    select least(
        coalesce((select min(day) from changed_days), last_counted.day),
        cast({{ dbt.dateadd('day', 1, 'last_counted.day') }} as date)
    ) as day
    from last_counted
),

{% endif %}
covered_days as (
    select
        active_days.user_id,
        active_days.stitched_through,
        cast({{ dbt.dateadd('day', 'offsets.generated_number - 1', 'active_days.activity_date') }} as date) as day,
        offsets.generated_number - 1 as days_since_active
    from active_days
    cross join offsets
    {%- if is_incremental() %}
    -- only the user-days inside the 30-day window of a recounted day
    where active_days.activity_date >= (
        select cast({{ dbt.dateadd('day', -29, 'first_recounted.day') }} as date) from first_recounted
    )
    {%- endif %}
),

final as (
    select
        covered_days.day,
        count(distinct case when covered_days.days_since_active = 0 then covered_days.user_id end) as dau,
        count(distinct case when covered_days.days_since_active < 7 then covered_days.user_id end) as wau,
        count(distinct covered_days.user_id) as mau,
        max(covered_days.stitched_through) as stitched_through
    from covered_days
    cross join horizon
    where covered_days.day <= horizon.horizon_date
    {%- if is_incremental() %}
        and (
            covered_days.day in (select day from changed_days)
            or covered_days.day > (select day from last_counted)
        )
    {%- endif %}
    group by covered_days.day
)

select * from final
