-- grain: one row per Stripe price, its latest known state. Prices come from price.* events and, for
-- accounts that do not send those, from the prices embedded in subscription items.
-- Incremental (delete+insert by price): a run parses the prices of the events loaded since the last
-- run and keeps, per price, the newest of those and of the state held. The state held carries its
-- ranking (from_price_event, event_created_unix, event_id), so a late event older than it loses, as
-- it would in a full build. loaded_at is the newest load of any event that carried the price.
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key='price_id'
) }}
-- the table's columns, by which the state held is stacked with the new versions
{%- set state_columns = [
    'price_id', 'product_id', 'price_nickname', 'lookup_key', 'currency_code', 'unit_amount_minor',
    'price_type', 'billing_scheme', 'recurring_interval', 'interval_count', 'usage_type',
    'is_active', 'from_price_event', 'event_created_unix', 'event_id', 'loaded_at'
] %}

with events as (
    select * from {{ ref('stg_stripe__events') }}
    where object_type in ('price', 'subscription')
    {%- if is_incremental() %}
        and loaded_at >= {{ incremental_cutoff('loaded_at') }}
    {%- endif %}
),

from_price_events as (
    select object as price, true as from_price_event, created_unix, event_id, loaded_at
    from events
    where object_type = 'price'
),

from_subscription_items as (
    select {{ json_doc('item', '$.price') }} as price, false as from_price_event, created_unix, event_id, loaded_at
    from (
        select
            created_unix,
            event_id,
            loaded_at,
            {{ json_array_elements('object', '$.items.data') }} as item
        from events
        where object_type = 'subscription'
    ) as items
),

all_versions as (
    select * from from_price_events
    union all
    select * from from_subscription_items
),

new_versions as (
    select
        {{ json_str('price', '$.id') }} as price_id,
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
        coalesce(cast({{ json_str('price', '$.active') }} as boolean), true) as is_active,
        from_price_event,
        created_unix as event_created_unix,
        event_id,
        loaded_at
    from all_versions
    where {{ json_str('price', '$.id') }} is not null
),

versions as (
    {{ with_state_held('new_versions', 'price_id', state_columns) }}
),

ranked as (
    select
        *,
        -- a price event wins over the copies embedded in subscriptions, then the newest event
        row_number() over (
            partition by price_id order by from_price_event desc, event_created_unix desc, event_id desc
        ) as recency_rank,
        max(loaded_at) over (partition by price_id) as last_loaded_at
    from versions
),

final as (
    select
        price_id,
        product_id,
        price_nickname,
        lookup_key,
        currency_code,
        unit_amount_minor,
        price_type,
        billing_scheme,
        recurring_interval,
        interval_count,
        usage_type,
        is_active,
        from_price_event,
        event_created_unix,
        event_id,
        last_loaded_at as loaded_at
    from ranked
    where recency_rank = 1
)

select * from final
