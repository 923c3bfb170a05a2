-- grain: one row per Segment alias call (messageId): `previous_id` (an anonymous id or an older user
-- id) is the same person as `user_id` from now on
with events as (
    select * from {{ ref('stg_segment__events') }}
    where call_type = 'alias'
),

final as (
    select
        message_id,
        previous_id,
        user_id,
        occurred_at,
        loaded_at
    from events
)

select * from final
