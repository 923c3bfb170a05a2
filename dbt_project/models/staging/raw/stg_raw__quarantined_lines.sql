-- grain: one row per quarantined landing line, of either source (history of every run)
with stripe as (
    select * from {{ source('raw', 'quarantine_stripe_events') }}
),

segment as (
    select * from {{ source('raw', 'quarantine_segment_events') }}
),

final as (
    select 'stripe' as source, source_file, line_number, reason, load_id, cast(loaded_at as timestamp) as loaded_at
    from stripe
    union all
    select 'segment' as source, source_file, line_number, reason, load_id, cast(loaded_at as timestamp) as loaded_at
    from segment
)

select * from final
