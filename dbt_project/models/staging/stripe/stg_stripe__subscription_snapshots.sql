-- grain: one row per customer.subscription.* event: the whole subscription as it was at that moment.
-- Reads both API shapes: the billing period sits on the subscription (before 2025) or on its items.
-- Incremental: each subscription event is parsed once, in the run that staged it (six models read this).
{{ config(materialized='incremental', incremental_strategy='append') }}

with events as (
    select * from ({{ unstaged_rows(ref('stg_stripe__events')) }}) as unstaged
    where object_type = 'subscription' and event_type like 'customer.subscription.%'
),

final as (
    select
        event_id,
        event_type,
        api_version,
        created_at as snapshot_at,
        created_unix as snapshot_unix,
        object_id as subscription_id,
        {{ json_str('object', '$.customer') }} as customer_id,
        {{ json_str('object', '$.status') }} as status,
        lower({{ json_str('object', '$.currency') }}) as currency_code,
        {{ json_str('object', '$.collection_method') }} as collection_method,
        {{ epoch_to_timestamp(json_str('object', '$.created')) }} as created_at,
        {{ epoch_to_timestamp(json_str('object', '$.start_date')) }} as started_at,
        {{ epoch_to_timestamp("coalesce(" ~ json_str('object', '$.current_period_start') ~ ", "
            ~ json_str('object', '$.items.data[0].current_period_start') ~ ")") }} as current_period_start_at,
        {{ epoch_to_timestamp("coalesce(" ~ json_str('object', '$.current_period_end') ~ ", "
            ~ json_str('object', '$.items.data[0].current_period_end') ~ ")") }} as current_period_end_at,
        coalesce(cast({{ json_str('object', '$.cancel_at_period_end') }} as boolean), false) as is_cancel_at_period_end,
        {{ epoch_to_timestamp(json_str('object', '$.cancel_at')) }} as cancel_at,
        {{ epoch_to_timestamp(json_str('object', '$.canceled_at')) }} as canceled_at,
        {{ epoch_to_timestamp(json_str('object', '$.ended_at')) }} as ended_at,
        {{ epoch_to_timestamp(json_str('object', '$.trial_start')) }} as trial_start_at,
        {{ epoch_to_timestamp(json_str('object', '$.trial_end')) }} as trial_end_at,
        {{ json_str('object', '$.cancellation_details.reason') }} as cancellation_reason,
        {{ json_str('object', '$.cancellation_details.feedback') }} as cancellation_feedback,
        {{ json_str('object', '$.cancellation_details.comment') }} as cancellation_comment,
        {{ json_str('object', '$.pause_collection.behavior') }} as pause_collection_behavior,
        {{ epoch_to_timestamp(json_str('object', '$.pause_collection.resumes_at')) }} as pause_resumes_at,
        {{ json_str('object', '$.metadata.account_id') }} as account_id,
        object,
        loaded_at
    from events
)

select * from final
