-- grain: one row per Stripe customer, its latest known state. Direct identifiers stop here: the email
-- is kept only as a keyed hash (macros/hash_identifier.sql), the name is not carried.
-- Incremental (delete+insert by customer), like the prices: a run parses the customer events loaded
-- since the last run and keeps, per customer, the newest of those and of the state held. The state
-- held carries its ranking (event_created_unix, is_deleted, event_id) and the earliest event time
-- seen (first_seen_at, the creation time when Stripe's is missing), so a late event ranks as it would
-- in a full build. loaded_at is the newest load of any event of the customer.
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key='customer_id'
) }}
-- the table's columns, by which the state held is stacked with the new versions
{%- set state_columns = [
    'customer_id', 'email_hash', 'currency_code', 'country_code', 'account_id', 'metadata_user_id',
    'stripe_created_at', 'first_seen_at', 'is_deleted', 'updated_at', 'event_created_unix', 'event_id',
    'loaded_at'
] %}

with events as (
    select * from {{ ref('stg_stripe__events') }}
    where object_type = 'customer'
    {%- if is_incremental() %}
        and loaded_at >= {{ incremental_cutoff('loaded_at') }}
    {%- endif %}
),

new_versions as (
    select
        object_id as customer_id,
        {{ hash_identifier(json_str('object', '$.email')) }} as email_hash,
        lower({{ json_str('object', '$.currency') }}) as currency_code,
        {{ json_str('object', '$.address.country') }} as country_code,
        {{ json_str('object', '$.metadata.account_id') }} as account_id,
        {{ json_str('object', '$.metadata.user_id') }} as metadata_user_id,
        {{ epoch_to_timestamp(json_str('object', '$.created')) }} as stripe_created_at,
        created_at as first_seen_at,
        event_type = 'customer.deleted' as is_deleted,
        created_at as updated_at,
        created_unix as event_created_unix,
        event_id,
        loaded_at
    from events
),

versions as (
    {{ with_state_held('new_versions', 'customer_id', state_columns) }}
),

ranked as (
    select
        *,
        -- the newest event; a deletion wins a tie
        row_number() over (
            partition by customer_id
            order by event_created_unix desc, case when is_deleted then 1 else 0 end desc, event_id desc
        ) as recency_rank,
        min(first_seen_at) over (partition by customer_id) as first_seen_by_customer,
        max(loaded_at) over (partition by customer_id) as last_loaded_at
    from versions
),

final as (
    select
        customer_id,
        email_hash,
        currency_code,
        country_code,
        account_id,
        metadata_user_id,
        coalesce(stripe_created_at, first_seen_by_customer) as created_at,
        is_deleted,
        updated_at,
        stripe_created_at,
        first_seen_by_customer as first_seen_at,
        event_created_unix,
        event_id,
        last_loaded_at as loaded_at
    from ranked
    where recency_rank = 1
)

select * from final
