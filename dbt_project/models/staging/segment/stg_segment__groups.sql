-- grain: one row per Segment group call (messageId): a user joining an account (group)
with events as (
    select * from {{ ref('stg_segment__events') }}
    where call_type = 'group'
),

final as (
    select
        message_id,
        user_id,
        anonymous_id,
        group_id as account_id,
        occurred_at,
        traits,
        loaded_at
    from events
)

select * from final
