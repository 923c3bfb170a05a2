-- grain: one row per Segment track call (messageId)
with events as (
    select * from {{ ref('stg_segment__events') }}
    where call_type = 'track'
),

final as (
    select
        message_id,
        event_name,
        user_id,
        anonymous_id,
        occurred_at,
        sent_at,
        received_at,
        context_group_id as account_id,
        campaign_source,
        campaign_medium,
        properties,
        loaded_at
    from events
)

select * from final
