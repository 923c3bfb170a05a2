-- grain: one row per Segment messageId (deliveries deduplicated; the first loaded copy wins).
-- Incremental: each run parses only the rows loaded since the last one (macros/incremental.sql).
{{ config(materialized='incremental', incremental_strategy='append') }}

with unstaged as (
    {{ unstaged_rows(source('raw', 'segment_events'), staged_id_column='message_id') }}
),

deduplicated as (
    {{ first_delivery('unstaged') }}
),

final as (
    select
        event_id as message_id,
        {{ json_str('payload', '$.type') }} as call_type,
        {{ json_str('payload', '$.event') }} as event_name,
        nullif({{ json_str('payload', '$.userId') }}, '') as user_id,
        nullif({{ json_str('payload', '$.anonymousId') }}, '') as anonymous_id,
        -- Segment's `timestamp`; calls sent without one (server libraries may omit it) fall back to
        -- when the collector received them, as Segment itself does
        coalesce(
            {{ iso_to_timestamp(json_str('payload', '$.timestamp')) }},
            {{ iso_to_timestamp(json_str('payload', '$.receivedAt')) }}
        ) as occurred_at,
        {{ iso_to_timestamp(json_str('payload', '$.sentAt')) }} as sent_at,
        {{ iso_to_timestamp(json_str('payload', '$.receivedAt')) }} as received_at,
        {{ json_doc('payload', '$.properties') }} as properties,
        {{ json_doc('payload', '$.traits') }} as traits,
        {{ json_str('payload', '$.context.groupId') }} as context_group_id,
        {{ json_str('payload', '$.context.campaign.source') }} as campaign_source,
        {{ json_str('payload', '$.context.campaign.medium') }} as campaign_medium,
        nullif({{ json_str('payload', '$.groupId') }}, '') as group_id,
        nullif({{ json_str('payload', '$.previousId') }}, '') as previous_id,
        source_file,
        line_number,
        load_id,
        loaded_at
    from deduplicated
)

select * from final
