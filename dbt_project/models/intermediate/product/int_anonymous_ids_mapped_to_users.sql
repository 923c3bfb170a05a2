-- grain: one row per anonymous id (or aliased previous id) that was tied to a user. Each maps to
-- exactly one user: the first call that tied it (identify, a track carrying both ids, or alias)
-- wins, so a shared device that later logs in as someone else keeps its first owner. tie_loaded_at is
-- when that call was loaded: an id whose first tie was loaded recently is one the incremental
-- int_tracks_stitched_to_users must re-stitch.
-- Incremental (delete+insert by id): a run re-ranks the ids that a call loaded since the last run
-- paired, over all of their pairings, so a late call that tied an id earlier still wins.
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key='anonymous_id',
    on_schema_change='fail'
) }}

with identifies as (
    select * from {{ ref('stg_segment__identifies') }}
),

tracks as (
    select * from {{ ref('stg_segment__tracks') }}
),

aliases as (
    select * from {{ ref('stg_segment__aliases') }}
),

pairings as (
    select anonymous_id, user_id, occurred_at, message_id, loaded_at, 'identify' as tied_by
    from identifies
    where anonymous_id is not null and user_id is not null
    union all
    select anonymous_id, user_id, occurred_at, message_id, loaded_at, 'track' as tied_by
    from tracks
    where anonymous_id is not null and user_id is not null
    union all
    select previous_id as anonymous_id, user_id, occurred_at, message_id, loaded_at, 'alias' as tied_by
    from aliases
    where previous_id is not null and user_id is not null and previous_id != user_id
),

{% if is_incremental() %}
-- The newest first tie held, less the lookback, bounds what earlier runs took in: a pairing loaded
-- later is new.
touched as (
    select anonymous_id from pairings
    where loaded_at >= {{ incremental_cutoff('tie_loaded_at') }}
),

{% endif %}
ranked as (
    select
        *,
        row_number() over (
            partition by anonymous_id
            order by occurred_at, case tied_by when 'alias' then 0 when 'identify' then 1 else 2 end, message_id
        ) as pairing_rank,
        min(user_id) over (partition by anonymous_id) as first_user_id_seen,
        max(user_id) over (partition by anonymous_id) as last_user_id_seen
    from pairings
    {%- if is_incremental() %}
    where anonymous_id in (select touched.anonymous_id from touched)
    {%- endif %}
),

final as (
    select
        anonymous_id,
        user_id,
        occurred_at as first_tied_at,
        tied_by,
        first_user_id_seen != last_user_id_seen as is_shared,
        loaded_at as tie_loaded_at
    from ranked
    where pairing_rank = 1
)

select * from final
