-- grain: one row per user per UTC day with at least one track call ("active" means any track call).
-- days_since_signup counts calendar days: 0 is the signup day.
with tracks as (
    select * from {{ ref('int_tracks_stitched_to_users') }}
    where user_id is not null
),

signups as (
    select * from {{ ref('int_user_signups') }}
),

active_days as (
    select
        user_id,
        occurred_date as activity_date,
        count(*) as events
    from tracks
    group by user_id, occurred_date
),

final as (
    select
        active_days.user_id,
        active_days.activity_date,
        {{ dbt.datediff('signups.signup_date', 'active_days.activity_date', 'day') }} as days_since_signup,
        active_days.events
    from active_days
    inner join signups on active_days.user_id = signups.user_id
)

select * from final
