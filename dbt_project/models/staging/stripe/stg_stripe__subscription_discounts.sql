-- grain: one row per discount id listed on a subscription snapshot (both API shapes)
-- Incremental: the discounts of each snapshot are parsed once, in the run that staged it, instead of
-- once per reading model (two), each run.
{{ config(materialized='incremental', incremental_strategy='append') }}

with snapshots as (
    {{ unstaged_rows(ref('stg_stripe__subscription_snapshots')) }}
),

listed as (
    select
        event_id,
        subscription_id,
        loaded_at,
        {{ json_array_elements('object', '$.discounts') }} as discount
    from snapshots
),

from_list as (
    select
        event_id,
        subscription_id,
        loaded_at,
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
        loaded_at,
        {{ json_str('object', '$.discount.id') }} as discount_id
    from snapshots
    where {{ json_str('object', '$.discount.id') }} is not null
),

final as (
    select distinct event_id, subscription_id, discount_id, loaded_at from from_list where discount_id is not null
    union
    select distinct event_id, subscription_id, discount_id, loaded_at from from_single
)

select * from final
