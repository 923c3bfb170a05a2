-- grain: one row per Stripe price, its latest known state. Prices come from price.* events and, for
-- accounts that do not send those, from the prices embedded in subscription items.
with events as (
    select * from {{ ref('stg_stripe__events') }}
),

from_price_events as (
    select object as price, created_unix, event_id, 1 as source_priority
    from events
    where object_type = 'price'
),

from_subscription_items as (
    select price, created_unix, event_id, 2 as source_priority
    from (
        select
            {{ json_doc('item', '$.price') }} as price,
            created_unix,
            event_id
        from (
            select
                created_unix,
                event_id,
                {{ json_array_elements('object', '$.items.data') }} as item
            from events
            where object_type = 'subscription'
        ) as items
    ) as prices
),

all_versions as (
    select * from from_price_events
    union all
    select * from from_subscription_items
),

ranked as (
    select
        *,
        {{ json_str('price', '$.id') }} as price_id,
        row_number() over (
            partition by {{ json_str('price', '$.id') }}
            order by source_priority asc, created_unix desc, event_id desc
        ) as recency_rank
    from all_versions
),

final as (
    select
        price_id,
        {{ json_str('price', '$.product') }} as product_id,
        {{ json_str('price', '$.nickname') }} as price_nickname,
        {{ json_str('price', '$.lookup_key') }} as lookup_key,
        lower({{ json_str('price', '$.currency') }}) as currency_code,
        cast({{ json_str('price', '$.unit_amount') }} as bigint) as unit_amount_minor,
        {{ json_str('price', '$.type') }} as price_type,
        {{ json_str('price', '$.billing_scheme') }} as billing_scheme,
        {{ json_str('price', '$.recurring.interval') }} as recurring_interval,
        cast({{ json_str('price', '$.recurring.interval_count') }} as bigint) as interval_count,
        {{ json_str('price', '$.recurring.usage_type') }} as usage_type,
        coalesce(cast({{ json_str('price', '$.active') }} as boolean), true) as is_active
    from ranked
    where recency_rank = 1 and price_id is not null
)

select * from final
