{{ config(meta={'dagster': {'ref': {'name': 'stg_stripe__events'}}}) }}
-- Raw to staging loses nothing: every distinct event id loaded into raw (the extract already proved
-- lines read = rows loaded + lines quarantined) is exactly one staged event, and staging holds no id
-- raw does not. Repeat deliveries collapse to their first copy; they are counted, not lost.
with raw_ids as (
    select 'stripe' as source, event_id from {{ source('raw', 'stripe_events') }}
    union
    select 'segment' as source, event_id from {{ source('raw', 'segment_events') }}
),

staged_ids as (
    select 'stripe' as source, event_id, count(*) as copies
    from {{ ref('stg_stripe__events') }}
    group by event_id
    union all
    select 'segment' as source, message_id as event_id, count(*) as copies
    from {{ ref('stg_segment__events') }}
    group by message_id
)

select
    coalesce(raw_ids.source, staged_ids.source) as source,
    coalesce(raw_ids.event_id, staged_ids.event_id) as event_id,
    case
        when staged_ids.event_id is null then 'in raw, not staged'
        when raw_ids.event_id is null then 'staged, not in raw'
        else 'staged ' || cast(staged_ids.copies as {{ dbt.type_string() }}) || ' times'
    end as problem
from raw_ids
full outer join staged_ids on raw_ids.source = staged_ids.source and raw_ids.event_id = staged_ids.event_id
where raw_ids.event_id is null or staged_ids.event_id is null or staged_ids.copies <> 1
