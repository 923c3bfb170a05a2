-- grain: one row per stitched track call (messageId) of an event the lifecycle models read
-- (macro lifecycle_event_names: the signup event, the onboarding funnel's steps, Experiment Viewed,
-- Invite Sent), with the user it is stitched to. They are about one call in nine: the signup,
-- onboarding, experiment and referral models read them here instead of scanning every call (76M at
-- 100M events) each run. Every call when a funnel step matches any event.
-- Incremental (delete+insert by messageId): a run takes the stitched calls its loads wrote or moved
-- (stitched_through, as int_user_active_days does). definition_hash is a hash of the event list: a
-- run under another list forgets the rows held and takes every call again.
{%- set events = lifecycle_event_names() %}
{%- set definition_hash = local_md5((events or ['*']) | join('\n')) %}
{%- set only_new_calls = holds_only_definition(definition_hash) %}
{{ config(
    materialized=rewritable_incremental(),
    incremental_strategy='delete+insert',
    unique_key='message_id',
    pre_hook="{{ forget_other_definitions(definition_hash='" ~ definition_hash ~ "') }}"
) }}

with tracks as (
    select * from {{ ref('int_tracks_stitched_to_users') }}
),

final as (
    select
        message_id,
        user_id,
        event_name,
        occurred_at,
        properties,
        campaign_medium,
        stitched_through,
        '{{ definition_hash }}' as definition_hash
    from tracks
    where true
    {%- if events is not none %}
        and event_name in (
            {%- for event in events %}{{ sql_string(event) }}{{ ', ' if not loop.last }}{% endfor -%}
        )
    {%- endif %}
    {%- if only_new_calls %}
        and stitched_through >= {{ incremental_cutoff('stitched_through') }}
    {%- endif %}
)

select * from final
