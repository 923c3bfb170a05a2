-- grain: one row per UTC day from the first product event to the data horizon. DAU: users with a
-- track call that day; WAU / MAU: users with one in the 7 / 30 days ending that day; stickiness =
-- DAU / MAU. The first 29 days of history have an incomplete MAU window (is_mau_window_complete).
with active_days as (
    select * from {{ ref('int_user_active_days') }}
),

users as (
    select * from {{ ref('fct_user_activation') }}
),

horizon as (
    select * from {{ ref('int_product_horizon') }}
),

offsets as (
    {{ dbt.generate_series(30) }}
),

bounds as (
    select min(activity_date) as first_date from active_days
),

covered_days as (
    select
        active_days.user_id,
        cast({{ dbt.dateadd('day', 'offsets.generated_number - 1', 'active_days.activity_date') }} as date) as day,
        offsets.generated_number - 1 as days_since_active
    from active_days
    cross join offsets
),

counts as (
    select
        covered_days.day,
        count(distinct case when covered_days.days_since_active = 0 then covered_days.user_id end) as dau,
        count(distinct case when covered_days.days_since_active < 7 then covered_days.user_id end) as wau,
        count(distinct covered_days.user_id) as mau
    from covered_days
    cross join horizon
    where covered_days.day <= horizon.horizon_date
    group by covered_days.day
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
