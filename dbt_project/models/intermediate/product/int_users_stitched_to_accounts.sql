-- grain: one row per user (Segment userId). Each user belongs to at most one account: the latest
-- account named by an identify trait, else by a group call, else by a track's context.groupId. An
-- account is tied to the billing customer whose Stripe metadata names it (metadata.account_id), or,
-- failing that, to the customer whose metadata.user_id names the user.
-- Incremental (delete+insert by user): a run recomputes the users whose calls the loads it takes in
-- changed or may have taken away (int_users_with_changed_calls). A user held who may have lost
-- calls (changed_from 1970), or who has only track calls (the account is then the latest track
-- call's, which the row held does not say), is recomputed from all of their calls; one who lost them all is written without a first call and forgotten by
-- the post-hook. Any other changed user gains calls only: its identify and group calls are read
-- whole (few), its track calls only those the pending loads added or moved to it (stitched_through),
-- and its first and last call merge with the row held. (Every track call of the day's changed users
-- is a third of all calls at 100M events: 9.6 s a day.) Every other user keeps what is held, and is
-- rewritten only when the customer tied to it changed (Stripe loads). Joins rather than IN
-- subqueries: Spark's local mode failed on those over the unit tests' fixtures.
-- depends_on: {{ ref('int_users_with_changed_calls') }}
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key='user_id',
    post_hook="{{ forget_users_without_calls() }}"
) }}
{%- if is_incremental() %}
{%- set since = first_pending_load_time(whole_history=false) %}

with changed as (
    select user_id, changed_from from {{ ref('int_users_with_changed_calls') }}
),

identifies as (
    select identifies.*
    from {{ ref('stg_segment__identifies') }} as identifies
    inner join changed on identifies.user_id = changed.user_id
),

groups as (
    select groups.*
    from {{ ref('stg_segment__groups') }} as groups
    inner join changed on groups.user_id = changed.user_id
),

-- the changed users held whose every track call is read: they may have lost calls, or have no
-- identify or group call
read_whole as (
    select changed.user_id
    from changed
    inner join {{ this }} as held on changed.user_id = held.user_id
    left join (
        select user_id from identifies where user_id is not null
        union
        select user_id from groups where user_id is not null
    ) as identified
        on changed.user_id = identified.user_id
    where changed.changed_from = {{ the_beginning() }} or identified.user_id is null
),

-- their track calls, and the other changed users' calls that the pending loads added or moved
tracks as (
    select stitched.*
    from {{ ref('int_tracks_stitched_to_users') }} as stitched
    inner join read_whole on stitched.user_id = read_whole.user_id
    union all
    select stitched.*
    from {{ ref('int_tracks_stitched_to_users') }} as stitched
    inner join changed on stitched.user_id = changed.user_id
    left join read_whole on stitched.user_id = read_whole.user_id
    where stitched.stitched_through >= {{ since }} and read_whole.user_id is null
),

{%- else %}

with identifies as (
    select * from {{ ref('stg_segment__identifies') }}
),

groups as (
    select * from {{ ref('stg_segment__groups') }}
),

tracks as (
    select * from {{ ref('int_tracks_stitched_to_users') }}
),

{%- endif %}

customers as (
    select * from {{ ref('stg_stripe__customers') }}
),

-- One row per user and source: the latest account the source names and the user's first and last
-- call in it. Aggregates rather than a window over the calls (a track call each, millions of rows).
-- An identify's claim is the strongest, then a group call's, then a track's.
per_source as (
    {%- for calls, claim_strength in [('identifies', 3), ('groups', 2), ('tracks', 1)] %}
    select
        user_id,
        {{ claim_strength }} as claim_strength,
        {{ max_by('account_id', ['occurred_at', 'message_id']) }} as account_id,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at
    from {{ calls }}
    where user_id is not null
    group by user_id
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

users as (
    select
        user_id,
        {{ max_by('account_id', ['claim_strength']) }} as account_id,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at
    from per_source
    group by user_id
),

latest_traits as (
    select
        user_id,
        role,
        company_size,
        row_number() over (partition by user_id order by occurred_at desc, message_id desc) as trait_rank
    from identifies
    where user_id is not null
),

customer_by_account as (
    select
        account_id,
        customer_id,
        row_number() over (
            partition by account_id order by case when is_deleted then 1 else 0 end, created_at, customer_id
        ) as customer_rank
    from customers
    where account_id is not null
),

customer_by_user as (
    select
        metadata_user_id as user_id,
        customer_id,
        row_number() over (
            partition by metadata_user_id order by case when is_deleted then 1 else 0 end, created_at, customer_id
        ) as customer_rank
    from customers
    where metadata_user_id is not null
),

profiles as (
    select
        users.user_id,
        users.account_id,
        latest_traits.role as persona,
        latest_traits.company_size,
        {%- if is_incremental() %}
        -- a user read in part: its first and last call merged with the row held
        case
            when whole.user_id is null and merged.first_seen_at < users.first_seen_at then merged.first_seen_at
            else users.first_seen_at
        end as first_seen_at,
        case
            when whole.user_id is null and merged.last_seen_at > users.last_seen_at then merged.last_seen_at
            else users.last_seen_at
        end as last_seen_at,
        {%- else %}
        users.first_seen_at,
        users.last_seen_at,
        {%- endif %}
        true as is_recomputed,
        cast(null as {{ dbt.type_string() }}) as held_customer_id
    from users
    left join latest_traits
        on users.user_id = latest_traits.user_id and latest_traits.trait_rank = 1
    {%- if is_incremental() %}
    left join read_whole as whole on users.user_id = whole.user_id
    left join {{ this }} as merged on users.user_id = merged.user_id
    union all
    -- a user read whole who has no call left: written without one, for the post-hook to forget
    select
        read_whole.user_id,
        cast(null as {{ dbt.type_string() }}) as account_id,
        cast(null as {{ dbt.type_string() }}) as persona,
        cast(null as {{ dbt.type_string() }}) as company_size,
        cast(null as timestamp) as first_seen_at,
        cast(null as timestamp) as last_seen_at,
        true as is_recomputed,
        cast(null as {{ dbt.type_string() }}) as held_customer_id
    from read_whole
    left join users on read_whole.user_id = users.user_id
    where users.user_id is null
    union all
    select
        held.user_id,
        held.account_id,
        held.persona,
        held.company_size,
        held.first_seen_at,
        held.last_seen_at,
        false as is_recomputed,
        held.customer_id as held_customer_id
    from {{ this }} as held
    left join changed on held.user_id = changed.user_id
    where changed.user_id is null
    {%- endif %}
),

tied as (
    select
        profiles.*,
        coalesce(customer_by_account.customer_id, customer_by_user.customer_id) as customer_id
    from profiles
    left join customer_by_account
        on profiles.account_id = customer_by_account.account_id and customer_by_account.customer_rank = 1
    left join customer_by_user
        on profiles.user_id = customer_by_user.user_id and customer_by_user.customer_rank = 1
),

final as (
    select
        user_id,
        account_id,
        customer_id,
        persona,
        company_size,
        first_seen_at,
        last_seen_at
    from tied
    where is_recomputed or customer_id is distinct from held_customer_id
)

select * from final
