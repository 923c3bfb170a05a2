-- grain: one row per Stripe refund, its latest known state (refund.* and charge.refund.updated events)
with latest as (
    {{ latest_object_state(ref('stg_stripe__events'), 'refund') }}
),

final as (
    select
        object_id as refund_id,
        {{ json_str('object', '$.charge') }} as charge_id,
        {{ json_str('object', '$.status') }} as status,
        {{ json_str('object', '$.reason') }} as reason,
        lower({{ json_str('object', '$.currency') }}) as currency_code,
        cast({{ json_str('object', '$.amount') }} as bigint) as amount_minor,
        {{ epoch_to_timestamp(json_str('object', '$.created')) }} as created_at,
        created_at as updated_at
    from latest
)

select * from final
