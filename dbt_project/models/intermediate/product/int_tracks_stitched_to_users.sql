-- grain: one row per track call (messageId), with the user it belongs to. Anonymous calls get the
-- user their anonymous id was later tied to (before and after the identify); a user id that was
-- aliased to a newer one gets the newer one. Calls never tied to a user keep user_id NULL.
with tracks as (
    select * from {{ ref('stg_segment__tracks') }}
),

identity_map as (
    select * from {{ ref('int_anonymous_ids_mapped_to_users') }}
),

final as (
    select
        tracks.message_id,
        coalesce(aliased.user_id, tracks.user_id, by_anonymous_id.user_id) as user_id,
        tracks.user_id is null and by_anonymous_id.user_id is not null as is_stitched,
        tracks.anonymous_id,
        tracks.event_name,
        tracks.occurred_at,
        cast(tracks.occurred_at as date) as occurred_date,
        tracks.account_id,
        tracks.campaign_source,
        tracks.campaign_medium,
        tracks.properties,
        tracks.loaded_at
    from tracks
    left join identity_map as aliased
        on tracks.user_id = aliased.anonymous_id and aliased.tied_by = 'alias'
    left join identity_map as by_anonymous_id
        on tracks.user_id is null and tracks.anonymous_id = by_anonymous_id.anonymous_id
    where tracks.occurred_at is not null
)

select * from final
