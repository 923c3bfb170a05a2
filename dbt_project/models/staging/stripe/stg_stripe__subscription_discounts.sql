-- grain: one row per discount id listed on a subscription snapshot (both API shapes)
with snapshots as (
    select * from {{ ref('stg_stripe__subscription_snapshots') }}
),

listed as (
    select
        event_id,
        subscription_id,
        {{ json_array_elements('object', '$.discounts') }} as discount
    from snapshots
),

from_list as (
    select
        event_id,
        subscription_id,
        case
            when {{ json_is_object('discount') }} then {{ json_str('discount', '$.id') }}
            else {{ json_element_text('discount') }}
        end as discount_id
    from listed
),

from_single as (
    select
        event_id,
        subscription_id,
        {{ json_str('object', '$.discount.id') }} as discount_id
    from snapshots
    where {{ json_str('object', '$.discount.id') }} is not null
),

final as (
    select distinct event_id, subscription_id, discount_id from from_list where discount_id is not null
    union
    select distinct event_id, subscription_id, discount_id from from_single
)

select * from final
