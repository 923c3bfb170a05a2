-- grain: one row per Stripe product, its latest known state (from product.* events)
with latest as (
    {{ latest_object_state(ref('stg_stripe__events'), 'product') }}
),

final as (
    select
        object_id as product_id,
        {{ json_str('object', '$.name') }} as product_name,
        coalesce(cast({{ json_str('object', '$.active') }} as boolean), true) as is_active,
        event_type = 'product.deleted' as is_deleted
    from latest
)

select * from final
