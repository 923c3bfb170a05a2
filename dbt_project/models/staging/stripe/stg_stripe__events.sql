-- grain: one row per Stripe event id (deliveries deduplicated; the first loaded copy wins).
-- Incremental: each run parses only the rows loaded since the last one (macros/incremental.sql).
{{ config(materialized='incremental', incremental_strategy='append') }}

with unstaged as (
    {{ unstaged_rows(source('raw', 'stripe_events')) }}
),

deduplicated as (
    {{ first_delivery('unstaged') }}
),

final as (
    select
        event_id,
        {{ json_str('payload', '$.type') }} as event_type,
        {{ json_str('payload', '$.api_version') }} as api_version,
        cast({{ json_str('payload', '$.created') }} as bigint) as created_unix,
        {{ epoch_to_timestamp(json_str('payload', '$.created')) }} as created_at,
        {{ json_str('payload', '$.data.object.object') }} as object_type,
        {{ json_str('payload', '$.data.object.id') }} as object_id,
        {{ json_doc('payload', '$.data.object') }} as object,
        {{ json_doc('payload', '$.data.previous_attributes') }} as previous_attributes,
        source_file,
        line_number,
        load_id,
        loaded_at
    from deduplicated
)

select * from final
