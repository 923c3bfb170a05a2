-- grain: one row per feature (taxonomy events with is_feature) per calendar month with any
-- active user. Adoption = users who used the feature that month / users active that month;
-- new adopters used it for the first time that month; cumulative adopters have used it by then.
with events_by_month as (
    select * from {{ ref('int_user_events_by_month') }}
),

taxonomy as (
    select * from {{ ref('event_taxonomy') }}
    where is_feature
),

monthly_active as (
    select month, count(distinct user_id) as active_users
    from events_by_month
    group by month
),

feature_use as (
    select
        events_by_month.event_name as feature,
        events_by_month.user_id,
        events_by_month.month,
        events_by_month.events
    from events_by_month
    inner join taxonomy on events_by_month.event_name = taxonomy.event_name
),

first_use as (
    select feature, user_id, min(month) as first_month
    from feature_use
    group by feature, user_id
),

per_month as (
    select
        feature_use.feature,
        feature_use.month,
        count(*) as feature_users,
        cast(sum(feature_use.events) as bigint) as feature_events,
        count(case when first_use.first_month = feature_use.month then 1 end) as new_adopters
    from feature_use
    inner join first_use on feature_use.feature = first_use.feature and feature_use.user_id = first_use.user_id
    group by feature_use.feature, feature_use.month
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
        coalesce(per_month.new_adopters, 0) as new_adopters,
        cast(sum(coalesce(per_month.new_adopters, 0)) over (
            partition by spine.feature order by spine.month rows between unbounded preceding and current row
        ) as bigint) as cumulative_adopters,
        {{ safe_ratio('coalesce(per_month.feature_users, 0)', 'spine.active_users') }} as adoption_rate
    from spine
    left join per_month on spine.feature = per_month.feature and spine.month = per_month.month
)

select * from final
