-- grain: one row per Stripe invoice, its latest known state (amounts in the currency's minor unit)
-- Incremental (delete+insert by invoice): a run recomputes the invoices that an event loaded since
-- the last run touched, from all of their events, so a late event older than the state held does not
-- replace it. loaded_at is the load time of the event that carried the state.
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key='invoice_id'
) }}

with latest as (
    {{ latest_state_of_touched_objects('invoice') }}
),

final as (
    select
        object_id as invoice_id,
        {{ json_str('object', '$.customer') }} as customer_id,
        coalesce(
            {{ json_str('object', '$.subscription') }},
            {{ json_str('object', '$.parent.subscription_details.subscription') }}
        ) as subscription_id,
        {{ json_str('object', '$.number') }} as invoice_number,
        {{ json_str('object', '$.status') }} as status,
        {{ json_str('object', '$.billing_reason') }} as billing_reason,
        {{ json_str('object', '$.collection_method') }} as collection_method,
        lower({{ json_str('object', '$.currency') }}) as currency_code,
        cast({{ json_str('object', '$.subtotal') }} as bigint) as subtotal_minor,
        coalesce(
            cast({{ json_str('object', '$.tax') }} as bigint),
            {{ json_array_sum('object', '$.total_taxes', 'amount') }},
            0
        ) as tax_minor,
        cast({{ json_str('object', '$.total') }} as bigint) as total_minor,
        {{ json_array_sum('object', '$.lines.data', 'amount') }} as lines_amount_minor,
        coalesce({{ json_array_sum('object', '$.total_discount_amounts', 'amount') }}, 0) as discount_minor,
        coalesce({{ json_str('object', '$.lines.has_more') }}, 'false') = 'false' as is_lines_list_complete,
        cast({{ json_str('object', '$.amount_due') }} as bigint) as amount_due_minor,
        cast({{ json_str('object', '$.amount_paid') }} as bigint) as amount_paid_minor,
        cast({{ json_str('object', '$.amount_remaining') }} as bigint) as amount_remaining_minor,
        cast({{ json_str('object', '$.attempt_count') }} as bigint) as attempt_count,
        {{ epoch_to_timestamp(json_str('object', '$.created')) }} as created_at,
        {{ epoch_to_timestamp(json_str('object', '$.due_date')) }} as due_at,
        {{ epoch_to_timestamp(json_str('object', '$.period_start')) }} as period_start_at,
        {{ epoch_to_timestamp(json_str('object', '$.period_end')) }} as period_end_at,
        {{ epoch_to_timestamp(json_str('object', '$.status_transitions.paid_at')) }} as paid_at,
        {{ epoch_to_timestamp(json_str('object', '$.status_transitions.finalized_at')) }} as finalized_at,
        {{ epoch_to_timestamp(json_str('object', '$.next_payment_attempt')) }} as next_payment_attempt_at,
        created_at as updated_at,
        source_file,
        line_number,
        loaded_at
    from latest
)

select * from final
