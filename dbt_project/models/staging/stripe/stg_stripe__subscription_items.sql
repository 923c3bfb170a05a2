-- grain: one row per subscription item per subscription snapshot (event)
with snapshots as (
    select * from {{ ref('stg_stripe__subscription_snapshots') }}
),

items as (
    select
        event_id,
        subscription_id,
        {{ json_array_elements('object', '$.items.data') }} as item
    from snapshots
),

final as (
    select
        event_id,
        subscription_id,
        {{ json_str('item', '$.id') }} as subscription_item_id,
        {{ json_str('item', '$.price.id') }} as price_id,
        {{ json_str('item', '$.price.product') }} as product_id,
        lower({{ json_str('item', '$.price.currency') }}) as currency_code,
        cast({{ json_str('item', '$.price.unit_amount') }} as bigint) as unit_amount_minor,
        coalesce(cast({{ json_str('item', '$.quantity') }} as bigint), 1) as quantity,
        {{ json_str('item', '$.price.type') }} as price_type,
        {{ json_str('item', '$.price.billing_scheme') }} as billing_scheme,
        {{ json_str('item', '$.price.recurring.interval') }} as recurring_interval,
        coalesce(cast({{ json_str('item', '$.price.recurring.interval_count') }} as bigint), 1) as interval_count,
        coalesce({{ json_str('item', '$.price.recurring.usage_type') }}, 'licensed') as usage_type
    from items
)

select * from final
