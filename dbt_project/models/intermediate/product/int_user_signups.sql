-- grain: one row per user. The signup is the user's first `signup_event` call (var, default
-- "Signed Up"); a user who never sent one signs up at their first call of any kind. The channel
-- is the signup call's `channel` property, else its UTM medium (context.campaign.medium).
with users as (
    select * from {{ ref('int_users_stitched_to_accounts') }}
),

tracks as (
    select * from {{ ref('int_lifecycle_calls') }}
),

signup_calls as (
    select
        user_id,
        occurred_at,
        {{ json_str('properties', '$.channel') }} as channel_property,
        campaign_medium,
        {{ json_str('properties', '$.invite_id') }} as invite_id,
        row_number() over (partition by user_id order by occurred_at, message_id) as signup_rank
    from tracks
    where user_id is not null and event_name = {{ sql_string(var('signup_event')) }}
),

final as (
    select
        users.user_id,
        users.account_id,
        users.customer_id,
        users.persona,
        users.company_size,
        coalesce(signup_calls.occurred_at, users.first_seen_at) as signed_up_at,
        cast(coalesce(signup_calls.occurred_at, users.first_seen_at) as date) as signup_date,
        signup_calls.occurred_at is not null as has_signup_event,
        coalesce(signup_calls.channel_property, signup_calls.campaign_medium, 'unknown') as channel,
        signup_calls.invite_id,
        users.last_seen_at
    from users
    left join signup_calls
        on users.user_id = signup_calls.user_id and signup_calls.signup_rank = 1
)

select * from final
