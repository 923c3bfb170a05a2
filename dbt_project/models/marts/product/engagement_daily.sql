-- grain: one row per UTC day from the first product event to the data horizon. DAU: users with a
-- track call that day; WAU / MAU: users with one in the 7 / 30 days ending that day (counted in
-- int_active_users_by_day); stickiness = DAU / MAU. The first 29 days of history have an incomplete
-- MAU window (is_mau_window_complete).
with counts as (
    select * from {{ ref('int_active_users_by_day') }}
),

users as (
    select * from {{ ref('fct_user_activation') }}
),

bounds as (
    select min(day) as first_date from counts
),

signups as (
    select signup_date, count(*) as new_users
    from users
    group by signup_date
),

final as (
    select
        counts.day,
        counts.dau,
        counts.wau,
        counts.mau,
        coalesce(signups.new_users, 0) as new_users,
        {{ safe_ratio('counts.dau', 'counts.mau') }} as stickiness,
        {{ safe_ratio('counts.dau', 'counts.wau') }} as dau_over_wau,
        {{ dbt.datediff('bounds.first_date', 'counts.day', 'day') }} >= 29 as is_mau_window_complete
    from counts
    cross join bounds
    left join signups on counts.day = signups.signup_date
)

select * from final
