-- grain: one row per anonymous id (or aliased previous id) that was tied to a user. Each maps to
-- exactly one user: the first call that tied it (identify, a track carrying both ids, or alias)
-- wins, so a shared device that later logs in as someone else keeps its first owner. tie_loaded_at is
-- when that call was loaded: an id whose first tie was loaded recently is one the incremental
-- int_tracks_stitched_to_users must re-stitch.
-- Incremental (delete+insert by id): a run ranks the pairings loaded since the last run against the
-- winner it holds for the same ids (with_state_held). The winner keeps what its ranking needs
-- (first_tied_at, tied_by, tie_message_id), so a late call that tied an id earlier still wins, as
-- in a full build, without reading the id's older pairings again. is_shared carries over too: an id
-- held unshared had only its winner's user, so it becomes shared when a new pairing names another.
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key='anonymous_id'
) }}
-- the table's columns, by which the winner held is stacked with the new pairings
{%- set state_columns = [
    'anonymous_id', 'user_id', 'first_tied_at', 'tied_by', 'tie_message_id', 'is_shared', 'tie_loaded_at'
] %}

with identifies as (
    select * from {{ ref('stg_segment__identifies') }}
),

tracks as (
    select * from {{ ref('stg_segment__tracks') }}
),

aliases as (
    select * from {{ ref('stg_segment__aliases') }}
),

-- in an incremental run, the pairings of the loads this run takes in (incremental_cutoff); one taken
-- in before is ranked again, and changes nothing. The window is in each select: DuckDB does not
-- push a filter on the union into the scans (every track call read at 100M events: 5.7 s a day)
{%- set new_loads_only %}
    {%- if is_incremental() %} and loaded_at >= {{ incremental_cutoff('tie_loaded_at') }}{% endif %}
{%- endset %}
pairings as (
    select anonymous_id, user_id, occurred_at, message_id, loaded_at, 'identify' as tied_by
    from identifies
    where anonymous_id is not null and user_id is not null{{ new_loads_only }}
    union all
    select anonymous_id, user_id, occurred_at, message_id, loaded_at, 'track' as tied_by
    from tracks
    where anonymous_id is not null and user_id is not null{{ new_loads_only }}
    union all
    select previous_id as anonymous_id, user_id, occurred_at, message_id, loaded_at, 'alias' as tied_by
    from aliases
    where previous_id is not null and user_id is not null and previous_id != user_id{{ new_loads_only }}
),

-- each pairing as a candidate winner; alone, a pairing ties its id to one user (not shared)
new_pairings as (
    select
        anonymous_id,
        user_id,
        occurred_at as first_tied_at,
        tied_by,
        message_id as tie_message_id,
        false as is_shared,
        loaded_at as tie_loaded_at
    from pairings
),

candidates as (
    {{ with_state_held('new_pairings', 'anonymous_id', state_columns) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by anonymous_id
            order by
                first_tied_at,
                case tied_by when 'alias' then 0 when 'identify' then 1 else 2 end,
                tie_message_id
        ) as pairing_rank,
        bool_or(is_shared) over (partition by anonymous_id)
        or min(user_id) over (partition by anonymous_id) != max(user_id) over (partition by anonymous_id)
            as is_shared_by_now
    from candidates
),

final as (
    select
        anonymous_id,
        user_id,
        first_tied_at,
        tied_by,
        tie_message_id,
        is_shared_by_now as is_shared,
        tie_loaded_at
    from ranked
    where pairing_rank = 1
)

select * from final
