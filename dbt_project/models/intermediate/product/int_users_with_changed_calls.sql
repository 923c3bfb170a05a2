-- grain: one row per user whose calls the loads a run takes in (the loads not yet accepted,
-- macros/incremental.sql) may have changed, with changed_from: the time of the earliest call they
-- added or moved to the user, 1970-01-01 when they may have taken calls away. The per-user models
-- rebuilt incrementally recompute these users (macro users_with_changed_calls). A user's calls change
-- when the pending loads
-- - add a track call to them, or move one to them (a call stitched to them through a new tie):
--   the stitched calls whose stitched_through is at or after the oldest pending load;
-- - add an identify or group call of theirs (their first call, and so their signup, may move);
-- - give an anonymous id, or a user id aliased to another, a new winner
--   (int_anonymous_ids_mapped_to_users): the calls stitched through that id move from the previous
--   winner to the new one. The previous winner is one of the users some call paired with the id
--   (identify, track carrying both ids, alias), or the id itself when it is a user id whose own
--   calls were aliased away; all of them count, and the id itself. An id that no call ever paired
--   with a second user (is_shared false) had no other winner: its winner only gains, and its
--   pairings are not looked up (at 100M events no id is shared, and the look-up scanned every call).
-- Every user with a call when no load was ever accepted (dbt run alone, the Spark check). None when no
-- model that reads this list is built yet (a first run, the orchestrator's full refresh from an empty
-- warehouse) or in dbt's --full-refresh: every reader then builds whole (19 s at 100M events).
{%- set since = first_pending_load_time(whole_history=false) %}

with retied as (
    select anonymous_id, is_shared from {{ ref('int_anonymous_ids_mapped_to_users') }}
    where tie_loaded_at >= {{ since }}
),

shared_retied as (
    select anonymous_id from retied
    where is_shared
),

changed_calls as (
    select user_id, occurred_at as changed_from
    from {{ ref('int_tracks_stitched_to_users') }}
    where stitched_through >= {{ since }} and user_id is not null
    union all
    select user_id, occurred_at as changed_from
    from {{ ref('stg_segment__events') }}
    where call_type in ('identify', 'group') and loaded_at >= {{ since }} and user_id is not null
    union all
    -- the users paired with a re-tied shared id (a track's or identify's anonymous id, an alias's
    -- previous id)
    select calls.user_id, {{ the_beginning() }} as changed_from
    from {{ ref('stg_segment__events') }} as calls
    inner join shared_retied
        on shared_retied.anonymous_id
        = case when calls.call_type = 'alias' then calls.previous_id else calls.anonymous_id end
    where calls.call_type in ('identify', 'track', 'alias') and calls.user_id is not null
    union all
    -- the re-tied id itself, as a user id: an aliased id's own calls move to its winner, or back
    select anonymous_id as user_id, {{ the_beginning() }} as changed_from
    from retied
),

final as (
    select user_id, min(changed_from) as changed_from
    from changed_calls
    {%- if flags.FULL_REFRESH or not any_reader_built() %}
    where false
    {%- endif %}
    group by user_id
)

select * from final
