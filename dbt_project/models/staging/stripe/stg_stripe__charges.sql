-- grain: one row per Stripe charge, its latest known state (amounts in the currency's minor unit).
-- A refund shows here as amount_refunded (charge.refunded); it does not change MRR.
with latest as (
    {{ latest_object_state(ref('stg_stripe__events'), 'charge') }}
),

final as (
    select
        object_id as charge_id,
        {{ json_str('object', '$.customer') }} as customer_id,
        {{ json_str('object', '$.invoice') }} as invoice_id,
        {{ json_str('object', '$.status') }} as status,
        lower({{ json_str('object', '$.currency') }}) as currency_code,
        cast({{ json_str('object', '$.amount') }} as bigint) as amount_minor,
        cast({{ json_str('object', '$.amount_captured') }} as bigint) as amount_captured_minor,
        coalesce(cast({{ json_str('object', '$.amount_refunded') }} as bigint), 0) as amount_refunded_minor,
        coalesce({{ json_str('object', '$.refunded') }} = 'true', false) as is_fully_refunded,
        {{ json_str('object', '$.failure_code') }} as failure_code,
        {{ epoch_to_timestamp(json_str('object', '$.created')) }} as created_at,
        created_at as updated_at
    from latest
)

select * from final
