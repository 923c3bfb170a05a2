-- grain: one row per calendar month in which invites were sent. An invite is accepted when a user
-- signs up with its invite id (the signup call's properties.invite_id), in any later month.
-- referral_rate = accepted / sent, by the month the invite was sent; recent months are still open.
with tracks as (
    select * from {{ ref('int_lifecycle_calls') }}
),

signups as (
    select * from {{ ref('int_user_signups') }}
),

invites as (
    select
        {{ json_str('properties', '$.invite_id') }} as invite_id,
        user_id,
        occurred_at,
        row_number() over (
            partition by {{ json_str('properties', '$.invite_id') }} order by occurred_at, message_id
        ) as invite_rank
    from tracks
    where event_name = {{ sql_string(invite_sent_event()) }}
),

accepted as (
    select invite_id, min(signed_up_at) as accepted_at
    from signups
    where invite_id is not null
    group by invite_id
),

sent as (
    select
        cast({{ dbt.date_trunc('month', 'invites.occurred_at') }} as date) as month,
        invites.user_id,
        accepted.accepted_at,
        {{ dbt.datediff('invites.occurred_at', 'accepted.accepted_at', 'second') }} as seconds_to_accept
    from invites
    left join accepted on invites.invite_id = accepted.invite_id
    where invites.invite_rank = 1 or invites.invite_id is null
),

final as (
    select
        month,
        count(*) as invites_sent,
        count(distinct user_id) as users_inviting,
        count(accepted_at) as invites_accepted,
        {{ safe_ratio('count(accepted_at)', 'count(*)') }} as referral_rate,
        {{ seconds_as_hours(median('seconds_to_accept'), input_decimals=1) }} as median_hours_to_accept
    from sent
    group by month
)

select * from final
