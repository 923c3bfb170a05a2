-- grain: one row per Stripe credit note, its latest known state (amounts in the currency's minor unit).
-- type: pre_payment (lowers what is still due on an open invoice) or post_payment (refunded or
-- credited after payment). The refund it created sits under `refund` (older API versions) or
-- `refunds[].refund` (newer ones).
with latest as (
    {{ latest_object_state(ref('stg_stripe__events'), 'credit_note') }}
),

final as (
    select
        object_id as credit_note_id,
        {{ json_str('object', '$.invoice') }} as invoice_id,
        {{ json_str('object', '$.customer') }} as customer_id,
        {{ json_str('object', '$.number') }} as credit_note_number,
        {{ json_str('object', '$.type') }} as credit_note_type,
        {{ json_str('object', '$.reason') }} as reason,
        {{ json_str('object', '$.status') }} as status,
        lower({{ json_str('object', '$.currency') }}) as currency_code,
        cast({{ json_str('object', '$.amount') }} as bigint) as amount_minor,
        cast({{ json_str('object', '$.total') }} as bigint) as total_minor,
        coalesce(
            {{ json_str('object', '$.refund') }},
            {{ json_str('object', '$.refunds[0].refund') }}
        ) as refund_id,
        {{ epoch_to_timestamp(json_str('object', '$.created')) }} as created_at,
        {{ epoch_to_timestamp(json_str('object', '$.voided_at')) }} as voided_at,
        created_at as updated_at
    from latest
)

select * from final
