-- grain: one row per Stripe discount, with its coupon's terms: from the coupon embedded in the discount
-- (API versions before 2025-09-30), else from the coupon's own events (later versions name it by id).
with discounts as (
    select * from {{ ref('stg_stripe__discounts') }}
),

coupons as (
    select * from {{ ref('stg_stripe__coupons') }}
),

final as (
    select
        discounts.discount_id,
        discounts.subscription_id,
        discounts.customer_id,
        discounts.coupon_id,
        coalesce(discounts.coupon_duration, coupons.coupon_duration) as coupon_duration,
        case when discounts.coupon_duration is not null then discounts.percent_off else coupons.percent_off end
            as percent_off,
        case when discounts.coupon_duration is not null then discounts.amount_off_minor else coupons.amount_off_minor end
            as amount_off_minor,
        coalesce(discounts.amount_off_currency_code, coupons.amount_off_currency_code) as amount_off_currency_code,
        coalesce(discounts.duration_in_months, coupons.duration_in_months) as duration_in_months,
        discounts.starts_at,
        discounts.ends_at,
        discounts.deleted_at
    from discounts
    left join coupons on coupons.coupon_id = discounts.coupon_id
)

select * from final
