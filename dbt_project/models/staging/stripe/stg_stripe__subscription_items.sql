-- grain: one row per subscription item per subscription snapshot (event).
-- Items carry a `price`; objects from API versions before prices (2019) carry only the legacy `plan`,
-- whose fields are read where the price's are missing.
-- Incremental: the items of each snapshot are parsed once, in the run that staged it.
{{ config(materialized='incremental', incremental_strategy='append') }}

with snapshots as (
    {{ unstaged_rows(ref('stg_stripe__subscription_snapshots')) }}
),

items as (
    select
        event_id,
        subscription_id,
        loaded_at,
        {{ json_array_elements('object', '$.items.data') }} as item
    from snapshots
),

final as (
    select
        event_id,
        subscription_id,
        {{ json_str('item', '$.id') }} as subscription_item_id,
        coalesce({{ json_str('item', '$.price.id') }}, {{ json_str('item', '$.plan.id') }}) as price_id,
        coalesce({{ json_str('item', '$.price.product') }}, {{ json_str('item', '$.plan.product') }}) as product_id,
        lower(coalesce(
            {{ json_str('item', '$.price.currency') }}, {{ json_str('item', '$.plan.currency') }}
        )) as currency_code,
        cast(coalesce(
            {{ json_str('item', '$.price.unit_amount') }}, {{ json_str('item', '$.plan.amount') }}
        ) as bigint) as unit_amount_minor,
        coalesce(cast({{ json_str('item', '$.quantity') }} as bigint), 1) as quantity,
        coalesce({{ json_str('item', '$.price.type') }}, 'recurring') as price_type,
        coalesce(
            {{ json_str('item', '$.price.billing_scheme') }}, {{ json_str('item', '$.plan.billing_scheme') }}, 'per_unit'
        ) as billing_scheme,
        coalesce(
            {{ json_str('item', '$.price.recurring.interval') }}, {{ json_str('item', '$.plan.interval') }}
        ) as recurring_interval,
        coalesce(cast(coalesce(
            {{ json_str('item', '$.price.recurring.interval_count') }}, {{ json_str('item', '$.plan.interval_count') }}
        ) as bigint), 1) as interval_count,
        coalesce(
            {{ json_str('item', '$.price.recurring.usage_type') }}, {{ json_str('item', '$.plan.usage_type') }}, 'licensed'
        ) as usage_type,
        loaded_at
    from items
)

select * from final
