-- grain: one row per Stripe product, its latest known state (from product.* events)
with events as (
    select * from {{ ref('stg_stripe__events') }}
    where object_type = 'product'
),

ranked as (
    select
        *,
        row_number() over (partition by object_id order by created_unix desc, event_id desc) as recency_rank
    from events
),

final as (
    select
        object_id as product_id,
        {{ json_str('object', '$.name') }} as product_name,
        coalesce(cast({{ json_str('object', '$.active') }} as boolean), true) as is_active,
        event_type = 'product.deleted' as is_deleted
    from ranked
    where recency_rank = 1
)

select * from final
