{{ config(meta={'dagster': {'ref': {'name': 'stg_stripe__events'}}}) }}
-- Raw to staging loses nothing: every distinct event id loaded into raw (the extract already proved
-- lines read = rows loaded + lines quarantined) is exactly one staged event, and staging holds no id
-- raw does not. Repeat deliveries collapse to their first copy; they are counted, not lost.
--
-- Scope: the loads not yet accepted, i.e. the ones this run takes in (the orchestrator accepts a
-- run's loads in raw.accepted_loads once it has published, so every accepted load passed this test
-- in the run that took it in). Raw and the event staging tables only ever gain rows, so the accepted
-- history stays proven, and a daily run checks its own day against the whole of staging instead of
-- joining the whole history again (137 s a day at 100M events). A full build (the orchestrator's
-- full refresh starts from an empty warehouse, where no load was accepted yet; `dbt build
-- --full-refresh`) and a warehouse without the gates' table (dbt run alone, the Spark check) check
-- every load (macro scoped_to_pending_loads).
-- One aggregation per source over raw's and staging's ids stacked (30 s on the whole history at 100M
-- events, where joining them took 94 s): per id, the staged copies and whether raw holds it. Both
-- sources in one aggregation ran out of DuckDB's 2.5GB there; one per source needs less than 1.5GB.
{#- the rows of the loads in scope (every load on a full build) -#}
{% set whole_history = flags.FULL_REFRESH %}
{% set in_scope = pending_loads_only(whole_history) %}
{% set sources = [
    ('stripe', source('raw', 'stripe_events'), ref('stg_stripe__events'), 'event_id'),
    ('segment', source('raw', 'segment_events'), ref('stg_segment__events'), 'message_id'),
] %}

-- Per source: raw's ids in scope, and the staged rows that matter: all of them on a full build, else
-- the rows of the loads in scope and every staged copy of an id in scope (a staged row keeps its first
-- delivery's load, which can be an accepted one). The condition is left out on a full build: `where
-- true or ...` would still run the join.
with
{%- for name, raw, staged, id_column in sources %}

{{ name }}_raw_ids as (
    select event_id from {{ raw }} {{ in_scope }}
),

{{ name }}_per_id as (
    select
        '{{ name }}' as source,
        event_id,
        count(case when is_staged then 1 end) as copies,
        max(case when is_staged then 0 else 1 end) = 1 as is_in_raw
    from (
        select
            event_id,
            false as is_staged
        from {{ name }}_raw_ids
        union all
        select
            {{ id_column }} as event_id,
            true as is_staged
        from {{ staged }}
        {%- if scoped_to_pending_loads(whole_history) %}
        where {{ is_pending_load(whole_history) }}
            or {{ id_column }} in (select event_id from {{ name }}_raw_ids)
        {%- endif %}
    ) as sides
    group by event_id
),
{%- endfor %}

per_id as (
    {%- for name, _, _, _ in sources %}
    {% if not loop.first %}union all
    {% endif %}select * from {{ name }}_per_id
    {%- endfor %}
)

select
    source,
    event_id,
    case
        when not is_in_raw then 'staged, not in raw'
        when copies = 0 then 'in raw, not staged'
        else 'staged ' || cast(copies as {{ dbt.type_string() }}) || ' times'
    end as problem
from per_id
where copies <> 1 or not is_in_raw
