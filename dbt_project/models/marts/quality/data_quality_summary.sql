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
    select load_id from {{ source('raw', 'stripe_events') }}
),

segment_raw as (
    select load_id from {{ source('raw', 'segment_events') }}
),

stripe_staged as (
    select load_id from {{ ref('stg_stripe__events') }}
),

segment_staged as (
    select load_id from {{ ref('stg_segment__events') }}
),

orphans as (
    select * from {{ ref('int_orphan_events_identified') }}
),

rows_per_load as (
    select 'stripe' as source, load_id, count(*) as raw_rows from stripe_raw group by load_id
    union all
    select 'segment' as source, load_id, count(*) as raw_rows from segment_raw group by load_id
),

-- staging keeps one row per event id, the first copy loaded, and records the load it came from:
-- every other row a load brought is a repeat delivery of an id staged before (or earlier in the load)
staged_per_load as (
    select 'stripe' as source, load_id, count(*) as staged_events from stripe_staged group by load_id
    union all
    select 'segment' as source, load_id, count(*) as staged_events from segment_staged group by load_id
),

repeats as (
    select
        rows_per_load.source,
        rows_per_load.load_id,
        rows_per_load.raw_rows - coalesce(staged_per_load.staged_events, 0) as repeat_deliveries
    from rows_per_load
    left join staged_per_load
        on rows_per_load.source = staged_per_load.source and rows_per_load.load_id = staged_per_load.load_id
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
