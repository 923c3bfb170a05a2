-- grain: one row per Segment identify call (messageId). The email trait is kept only as a keyed hash
-- (macros/hash_identifier.sql); the raw traits object, which carries it, is not passed on.
-- An incremental table (append; a view would call pii_hash(), which only dbt's connections have):
-- each identify is parsed and hashed once, in the run that staged it (18 s a day at 100M events as a
-- table rebuilt each run). A new hash key therefore needs a full refresh.
{{ config(materialized='incremental', incremental_strategy='append') }}

with events as (
    select * from ({{ unstaged_rows(ref('stg_segment__events'), id_column='message_id') }}) as unstaged
    where call_type = 'identify'
),

final as (
    select
        message_id,
        user_id,
        anonymous_id,
        occurred_at,
        {{ hash_identifier(json_str('traits', '$.email')) }} as email_hash,
        {{ json_str('traits', '$.role') }} as role,
        {{ json_str('traits', '$.company_size') }} as company_size,
        coalesce(
            {{ json_str('traits', '$.account_id') }}, {{ json_str('traits', '$.company.id') }}, context_group_id
        ) as account_id,
        loaded_at
    from events
)

select * from final
