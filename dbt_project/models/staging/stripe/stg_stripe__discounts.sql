-- grain: one row per Stripe discount (the application of a coupon), its latest known state.
-- Discounts arrive embedded in subscriptions (2024 shape: `discount`; expanded `discounts`) and as
-- customer.discount.* events (the only place 2025 shapes carry the coupon).
with events as (
    select * from {{ ref('stg_stripe__events') }}
),

from_discount_events as (
    select
        object as discount,
        created_unix,
        event_id,
        event_type = 'customer.discount.deleted' as is_deleted,
        case when event_type = 'customer.discount.deleted' then created_at end as deleted_at
    from events
    where object_type = 'discount'
),

embedded_single as (
    select
        {{ json_doc('object', '$.discount') }} as discount,
        created_unix,
        event_id,
        false as is_deleted,
        cast(null as timestamp) as deleted_at
    from events
    where object_type = 'subscription' and {{ json_str('object', '$.discount.id') }} is not null
),

embedded_list as (
    select discount, created_unix, event_id, false as is_deleted, cast(null as timestamp) as deleted_at
    from (
        select
            {{ json_array_elements('object', '$.discounts') }} as discount,
            created_unix,
            event_id
        from events
        where object_type = 'subscription'
    ) as elements
    where {{ json_is_object('discount') }}
),

all_versions as (
    select * from from_discount_events
    union all
    select * from embedded_single
    union all
    select * from embedded_list
),

ranked as (
    select
        *,
        {{ json_str('discount', '$.id') }} as discount_id,
        max(deleted_at) over (partition by {{ json_str('discount', '$.id') }}) as any_deleted_at
    from all_versions
),

latest as (
    select
        *,
        row_number() over (
            partition by discount_id order by is_deleted asc, created_unix desc, event_id desc
        ) as recency_rank
    from ranked
),

final as (
    select
        discount_id,
        {{ json_str('discount', '$.subscription') }} as subscription_id,
        {{ json_str('discount', '$.customer') }} as customer_id,
        -- the coupon is expanded under `coupon` before API 2025-09-30, named under `source.coupon` after
        coalesce(
            {{ json_str('discount', '$.coupon.id') }},
            {{ json_str('discount', '$.source.coupon.id') }},
            {{ json_str('discount', '$.source.coupon') }}
        ) as coupon_id,
        {{ json_str('discount', '$.coupon.duration') }} as coupon_duration,
        cast({{ json_str('discount', '$.coupon.percent_off') }} as decimal(9, 4)) as percent_off,
        cast({{ json_str('discount', '$.coupon.amount_off') }} as bigint) as amount_off_minor,
        lower({{ json_str('discount', '$.coupon.currency') }}) as amount_off_currency_code,
        cast({{ json_str('discount', '$.coupon.duration_in_months') }} as bigint) as duration_in_months,
        {{ epoch_to_timestamp(json_str('discount', '$.start')) }} as starts_at,
        {{ epoch_to_timestamp(json_str('discount', '$.end')) }} as ends_at,
        any_deleted_at as deleted_at
    from latest
    where recency_rank = 1 and discount_id is not null
)

select * from final
