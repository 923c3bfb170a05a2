-- grain: one row per Stripe charge, its latest known state (amounts in the currency's minor unit).
-- A refund shows here as amount_refunded (charge.refunded); it does not change MRR.
-- Incremental (delete+insert by charge), as stg_stripe__invoices: a run recomputes the charges that
-- an event loaded since the last run touched, from all of their events. loaded_at is the load time
-- of the event that carried the state. (A view recomputed every charge's state from its JSON for
-- each test that read it: 3-5 s a day at 100M events.)
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key='charge_id'
) }}

with latest as (
    {{ latest_state_of_touched_objects('charge') }}
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
        created_at as updated_at,
        loaded_at
    from latest
)

select * from final
