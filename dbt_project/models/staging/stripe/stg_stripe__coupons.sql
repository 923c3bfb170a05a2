-- grain: one row per Stripe coupon, its latest known state (from coupon.* events). Discounts from API
-- 2025-09-30 on name their coupon by id only (`source.coupon`), so its terms come from here.
with latest as (
    {{ latest_object_state(ref('stg_stripe__events'), 'coupon') }}
),

final as (
    select
        object_id as coupon_id,
        {{ json_str('object', '$.duration') }} as coupon_duration,
        cast({{ json_str('object', '$.percent_off') }} as decimal(9, 4)) as percent_off,
        cast({{ json_str('object', '$.amount_off') }} as bigint) as amount_off_minor,
        lower({{ json_str('object', '$.currency') }}) as amount_off_currency_code,
        cast({{ json_str('object', '$.duration_in_months') }} as bigint) as duration_in_months
    from latest
)

select * from final
