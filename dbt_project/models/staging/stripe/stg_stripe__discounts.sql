-- grain: one row per Stripe discount (the application of a coupon), its latest known state.
-- Discounts arrive embedded in subscriptions (2024 shape: `discount`; expanded `discounts`) and as
-- customer.discount.* events (the only place 2025 shapes carry the coupon).
-- Incremental (delete+insert by discount): a run parses the discounts of the events loaded since the
-- last run and keeps, per discount, the newest of those and of the state held; deleted_at is the
-- latest deletion either saw. The state held carries its ranking (from_deletion_event,
-- event_created_unix, event_id), so a late event older than it loses, as it would in a full build.
-- loaded_at is the newest load of any event that carried the discount.
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key='discount_id'
) }}
-- the table's columns, by which the state held is stacked with the new versions
{%- set state_columns = [
    'discount_id', 'subscription_id', 'customer_id', 'coupon_id', 'coupon_duration', 'percent_off',
    'amount_off_minor', 'amount_off_currency_code', 'duration_in_months', 'starts_at', 'ends_at',
    'deleted_at', 'from_deletion_event', 'event_created_unix', 'event_id', 'loaded_at'
] %}

with events as (
    select * from {{ ref('stg_stripe__events') }}
    where object_type in ('discount', 'subscription')
    {%- if is_incremental() %}
        and loaded_at >= {{ incremental_cutoff('loaded_at') }}
    {%- endif %}
),

from_discount_events as (
    select
        object as discount,
        event_type = 'customer.discount.deleted' as from_deletion_event,
        case when event_type = 'customer.discount.deleted' then created_at end as deleted_at,
        created_unix,
        event_id,
        loaded_at
    from events
    where object_type = 'discount'
),

embedded_single as (
    select
        {{ json_doc('object', '$.discount') }} as discount,
        false as from_deletion_event,
        cast(null as timestamp) as deleted_at,
        created_unix,
        event_id,
        loaded_at
    from events
    where object_type = 'subscription' and {{ json_str('object', '$.discount.id') }} is not null
),

embedded_list as (
    select discount, false as from_deletion_event, cast(null as timestamp) as deleted_at, created_unix, event_id, loaded_at
    from (
        select
            {{ json_array_elements('object', '$.discounts') }} as discount,
            created_unix,
            event_id,
            loaded_at
        from events
        where object_type = 'subscription'
    ) as elements
    where {{ json_is_object('discount') }}
),

all_versions as (
    select * from from_discount_events
    union all
    select * from embedded_single
    union all
    select * from embedded_list
),

new_versions as (
    select
        {{ json_str('discount', '$.id') }} as discount_id,
        {{ json_str('discount', '$.subscription') }} as subscription_id,
        {{ json_str('discount', '$.customer') }} as customer_id,
        -- the coupon is expanded under `coupon` before API 2025-09-30, named under `source.coupon` after
        coalesce(
            {{ json_str('discount', '$.coupon.id') }},
            {{ json_str('discount', '$.source.coupon.id') }},
            {{ json_str('discount', '$.source.coupon') }}
        ) as coupon_id,
        {{ json_str('discount', '$.coupon.duration') }} as coupon_duration,
        cast({{ json_str('discount', '$.coupon.percent_off') }} as decimal(9, 4)) as percent_off,
        cast({{ json_str('discount', '$.coupon.amount_off') }} as bigint) as amount_off_minor,
        lower({{ json_str('discount', '$.coupon.currency') }}) as amount_off_currency_code,
        cast({{ json_str('discount', '$.coupon.duration_in_months') }} as bigint) as duration_in_months,
        {{ epoch_to_timestamp(json_str('discount', '$.start')) }} as starts_at,
        {{ epoch_to_timestamp(json_str('discount', '$.end')) }} as ends_at,
        deleted_at,
        from_deletion_event,
        created_unix as event_created_unix,
        event_id,
        loaded_at
    from all_versions
    where {{ json_str('discount', '$.id') }} is not null
),

versions as (
    {{ with_state_held('new_versions', 'discount_id', state_columns) }}
),

ranked as (
    select
        *,
        -- the newest state that is not a deletion; a deletion only when nothing else is known
        row_number() over (
            partition by discount_id order by from_deletion_event asc, event_created_unix desc, event_id desc
        ) as recency_rank,
        max(deleted_at) over (partition by discount_id) as any_deleted_at,
        max(loaded_at) over (partition by discount_id) as last_loaded_at
    from versions
),

final as (
    select
        discount_id,
        subscription_id,
        customer_id,
        coupon_id,
        coupon_duration,
        percent_off,
        amount_off_minor,
        amount_off_currency_code,
        duration_in_months,
        starts_at,
        ends_at,
        any_deleted_at as deleted_at,
        from_deletion_event,
        event_created_unix,
        event_id,
        last_loaded_at as loaded_at
    from ranked
    where recency_rank = 1
)

select * from final
