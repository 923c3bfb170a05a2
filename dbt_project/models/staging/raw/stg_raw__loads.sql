-- grain: one row per landing file loaded (the extract's manifest)
with manifest as (
    select * from {{ source('raw', 'load_manifest') }}
),

final as (
    select
        file_hash,
        source,
        file_name,
        load_id,
        cast(loaded_at as timestamp) as loaded_at,
        lines_read,
        lines_loaded,
        lines_quarantined
    from manifest
)

select * from final
