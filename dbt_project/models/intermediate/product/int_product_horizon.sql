-- grain: one row. The product data horizon: the time of the last track call that is not in the
-- collector's future (timestamp no later than a day after receivedAt). "Today" for the activation
-- marts: windows that end after it are not yet complete.
with tracks as (
    select * from {{ ref('stg_segment__tracks') }}
),

final as (
    select
        max(occurred_at) as horizon_at,
        cast(max(occurred_at) as date) as horizon_date
    from tracks
    where received_at is null or occurred_at <= {{ dbt.dateadd('day', 1, 'received_at') }}
)

select * from final
