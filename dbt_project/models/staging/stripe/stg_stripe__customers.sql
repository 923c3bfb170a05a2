-- grain: one row per Stripe customer, its latest known state. Direct identifiers stop here: the email
-- is kept only as a keyed hash (macros/hash_identifier.sql), the name is not carried.
with events as (
    select * from {{ ref('stg_stripe__events') }}
    where object_type = 'customer'
),

ranked as (
    select
        *,
        row_number() over (
            partition by object_id
            order by created_unix desc, case when event_type = 'customer.deleted' then 1 else 0 end desc, event_id desc
        ) as recency_rank,
        min(created_at) over (partition by object_id) as first_seen_at
    from events
),

final as (
    select
        object_id as customer_id,
        {{ hash_identifier(json_str('object', '$.email')) }} as email_hash,
        lower({{ json_str('object', '$.currency') }}) as currency_code,
        {{ json_str('object', '$.address.country') }} as country_code,
        {{ json_str('object', '$.metadata.account_id') }} as account_id,
        {{ json_str('object', '$.metadata.user_id') }} as metadata_user_id,
        coalesce({{ epoch_to_timestamp(json_str('object', '$.created')) }}, first_seen_at) as created_at,
        event_type = 'customer.deleted' as is_deleted,
        created_at as updated_at
    from ranked
    where recency_rank = 1
)

select * from final
