-- grain: one row per user (Segment userId). Each user belongs to at most one account: the latest
-- account named by an identify trait, else by a group call, else by a track's context.groupId. An
-- account is tied to the billing customer whose Stripe metadata names it (metadata.account_id), or,
-- failing that, to the customer whose metadata.user_id names the user.
-- Incremental (delete+insert by user): a run recomputes, from all their calls, the users whose calls
-- the loads it takes in changed or may have taken away (macro users_with_changed_calls; the pre-hook
-- forgets them first: an aliased id's calls can all move to another user). Every other user keeps
-- what is held, and is rewritten only when the customer tied to it changed (Stripe loads).
{%- set users_to_recompute = users_with_changed_calls() %}
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key='user_id',
    on_schema_change='fail',
    pre_hook="{{ forget_users_to_recompute() }}"
) }}
{%- set recomputed_only -%}
    {%- if is_incremental() %}
    where user_id in ({{ users_to_recompute }})
    {%- endif %}
{%- endset %}

with identifies as (
    select * from {{ ref('stg_segment__identifies') }} {{ recomputed_only }}
),

groups as (
    select * from {{ ref('stg_segment__groups') }} {{ recomputed_only }}
),

tracks as (
    select * from {{ ref('int_tracks_stitched_to_users') }} {{ recomputed_only }}
),

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
        users.first_seen_at,
        users.last_seen_at,
        true as is_recomputed,
        cast(null as {{ dbt.type_string() }}) as held_customer_id
    from users
    left join latest_traits
        on users.user_id = latest_traits.user_id and latest_traits.trait_rank = 1
    {%- if is_incremental() %}
    union all
    select
        user_id,
        account_id,
        persona,
        company_size,
        first_seen_at,
        last_seen_at,
        false as is_recomputed,
        customer_id as held_customer_id
    from {{ this }}
    where user_id not in ({{ users_to_recompute }})
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
