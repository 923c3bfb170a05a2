-- grain: one row per source per extract run that loaded files. Lines read = loaded + quarantined, per
-- run; the most frequent quarantine reason; and how many loaded rows were repeat deliveries of an id
-- already loaded (deduplicated by staging, not lost); how many pointed at a customer or user the
-- warehouse has never seen (orphans: kept, reported).
with loads as (
    select * from {{ ref('stg_raw__loads') }}
),

quarantined as (
    select * from {{ ref('stg_raw__quarantined_lines') }}
),

stripe_raw as (
    select event_id, load_id, loaded_at from {{ source('raw', 'stripe_events') }}
),

segment_raw as (
    select event_id, load_id, loaded_at from {{ source('raw', 'segment_events') }}
),

orphans as (
    select * from {{ ref('int_orphan_events_identified') }}
),

raw_rows as (
    select 'stripe' as source, event_id, load_id, loaded_at from stripe_raw
    union all
    select 'segment' as source, event_id, load_id, loaded_at from segment_raw
),

deliveries as (
    select
        source,
        load_id,
        event_id,
        row_number() over (partition by source, event_id order by loaded_at, load_id) as delivery_number
    from raw_rows
),

repeats as (
    select source, load_id, count(case when delivery_number > 1 then 1 end) as repeat_deliveries
    from deliveries
    group by source, load_id
),

orphans_per_load as (
    select source, load_id, count(*) as orphan_events
    from orphans
    group by source, load_id
),

reasons as (
    select
        source,
        load_id,
        reason,
        count(*) as lines,
        row_number() over (partition by source, load_id order by count(*) desc, reason) as reason_rank
    from quarantined
    group by source, load_id, reason
),

per_load as (
    select
        source,
        load_id,
        min(loaded_at) as loaded_at,
        count(*) as files,
        sum(lines_read) as lines_read,
        sum(lines_loaded) as lines_loaded,
        sum(lines_quarantined) as lines_quarantined
    from loads
    group by source, load_id
),

final as (
    select
        per_load.source,
        per_load.load_id,
        per_load.loaded_at,
        per_load.files,
        cast(per_load.lines_read as bigint) as lines_read,
        cast(per_load.lines_loaded as bigint) as lines_loaded,
        cast(per_load.lines_quarantined as bigint) as lines_quarantined,
        {{ safe_ratio('per_load.lines_quarantined', 'per_load.lines_read') }} as quarantine_rate,
        reasons.reason as top_quarantine_reason,
        coalesce(reasons.lines, 0) as top_reason_lines,
        coalesce(repeats.repeat_deliveries, 0) as repeat_deliveries,
        cast(coalesce(orphans_per_load.orphan_events, 0) as bigint) as orphan_events
    from per_load
    left join reasons
        on per_load.source = reasons.source and per_load.load_id = reasons.load_id and reasons.reason_rank = 1
    left join repeats on per_load.source = repeats.source and per_load.load_id = repeats.load_id
    left join orphans_per_load
        on per_load.source = orphans_per_load.source and per_load.load_id = orphans_per_load.load_id
)

select * from final
