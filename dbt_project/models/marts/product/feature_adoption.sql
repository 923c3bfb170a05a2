-- grain: one row per feature (taxonomy events with is_feature) per calendar month with any
-- active user. Adoption = users who used the feature that month / users active that month;
-- new adopters used it for the first time that month; cumulative adopters have used it by then.
-- Each aggregate reads the per-month table itself: DuckDB materializes a CTE read more than once
-- (20M rows at 100M events). New adopters are counted from each user's first month of a feature,
-- not joined back to every month of use.
with taxonomy as (
    select * from {{ ref('event_taxonomy') }}
    where is_feature
),

monthly_active as (
    select month, count(distinct user_id) as active_users
    from {{ ref('int_user_events_by_month') }}
    group by month
),

per_month as (
    select
        events_by_month.event_name as feature,
        events_by_month.month,
        count(*) as feature_users,
        cast(sum(events_by_month.events) as bigint) as feature_events
    from {{ ref('int_user_events_by_month') }} as events_by_month
    inner join taxonomy on events_by_month.event_name = taxonomy.event_name
    group by events_by_month.event_name, events_by_month.month
),

first_use as (
    select events_by_month.event_name as feature, events_by_month.user_id, min(events_by_month.month) as first_month
    from {{ ref('int_user_events_by_month') }} as events_by_month
    inner join taxonomy on events_by_month.event_name = taxonomy.event_name
    group by events_by_month.event_name, events_by_month.user_id
),

new_adopters as (
    select feature, first_month as month, count(*) as new_adopters
    from first_use
    group by feature, first_month
),

spine as (
    select taxonomy.event_name as feature, monthly_active.month, monthly_active.active_users
    from taxonomy
    cross join monthly_active
),

final as (
    select
        spine.feature,
        spine.month,
        spine.active_users,
        coalesce(per_month.feature_users, 0) as feature_users,
        coalesce(per_month.feature_events, 0) as feature_events,
        coalesce(new_adopters.new_adopters, 0) as new_adopters,
        cast(sum(coalesce(new_adopters.new_adopters, 0)) over (
            partition by spine.feature order by spine.month rows between unbounded preceding and current row
        ) as bigint) as cumulative_adopters,
        {{ safe_ratio('coalesce(per_month.feature_users, 0)', 'spine.active_users') }} as adoption_rate
    from spine
    left join per_month on spine.feature = per_month.feature and spine.month = per_month.month
    left join new_adopters on spine.feature = new_adopters.feature and spine.month = new_adopters.month
)

select * from final
