{#- The materialization of a model that an incremental run rewrites by key (delete+insert). On Spark
    it is a plain table rebuilt each run: dbt-spark has no delete+insert, and its merge needs Delta,
    Iceberg or Hudi (docs/spark.md). -#}
{% macro rewritable_incremental() -%}
    {{- 'table' if target.type == 'spark' else 'incremental' -}}
{%- endmacro %}

{#- The start of the warehouse's time, 1970-01-01, as a `type` (timestamp or date): a window from it
    takes every row, and a changed user whose changed_from it is (int_users_with_changed_calls) may
    have lost calls and is recomputed from all of them. -#}
{% macro the_beginning(type='timestamp') -%}
    cast('1970-01-01' as {{ type }})
{%- endmacro %}

{#- The oldest time an incremental run takes in. In a run scoped to the pending loads (the
    orchestrator's): the load time of the oldest of them (first_pending_load_time; NULL, so nothing,
    when none is pending). Every row a pending load wrote or changed carries a load time at or after
    it, and every older load was taken in whole by a run that published (the orchestrator accepts a
    load only then, and counts every incremental model among the readers of pending loads:
    orchestration/dbt.py). So a run after a one-shot backfill reads its own day, not the backfill
    again. Otherwise (dbt alone on a warehouse without raw.accepted_loads; unit tests, whose `this`
    is a fixture): the newest `column` value the model already holds, less a lookback (var
    incremental_lookback_hours), so a clock that stepped back by less than the lookback cannot make a
    run skip a row. Only meaningful inside is_incremental(). -#}
{% macro incremental_cutoff(column) -%}
    {%- if model.resource_type == 'model' and scoped_to_pending_loads(whole_history=false) -%}
    {{ first_pending_load_time(whole_history=false) }}
    {%- else -%}
    {%- set lookback_hours = positive_int(var('incremental_lookback_hours'), 'incremental_lookback_hours') | int -%}
    {%- set cutoff -%}
    (
        select coalesce(
            {{ dbt.dateadd('hour', -lookback_hours, 'max(held.' ~ column ~ ')') }},
            {{ the_beginning() }}
        )
        from {{ this }} as held
    )
    {%- endset -%}
    {{ timestamp_as_of_compile(cutoff) }}
    {%- endif -%}
{%- endmacro %}

{#- A one-value timestamp `query` as a literal, run when the model (or data test) is compiled (just
    before it runs, after everything upstream was built; what it reads does not change until it runs), so that
    DuckDB can skip the row groups outside a window: it does not prune a scan by a comparison with a
    subquery it cannot fold (stg_segment__events' window took 19 s a day at 100M events, 1.8 s with a
    literal). UTC, as the warehouse's session time zone. The query itself at parse time and in unit
    tests (their `this` is a fixture, not a table). -#}
{% macro timestamp_as_of_compile(query) -%}
    {%- if execute and model.resource_type in ('model', 'test') -%}
        {%- set value = run_query('select ' ~ query).columns[0].values()[0] -%}
        {%- if value is none -%}
    cast(null as timestamp)
        {%- else -%}
            {%- if value.tzinfo is not none -%}
                {%- set value = value.astimezone(modules.pytz.utc).replace(tzinfo=none) -%}
            {%- endif -%}
    cast('{{ value.isoformat(sep=' ') }}' as timestamp)
        {%- endif -%}
    {%- else -%}
    {{ query }}
    {%- endif -%}
{%- endmacro %}

{#- The versions a "latest state" model ranks (delete+insert by `key`): the new versions and, in an
    incremental run, the state it holds for the same keys, which keeps the columns its ranking needs.
    The winner among them is the winner among every version ever seen, as in a full build, as long as
    the ranking is a strict order. `columns` lists the model's columns: both sides are stacked by them. -#}
{% macro with_state_held(new_versions, key, columns) -%}
    {%- set column_list = columns | join(', ') -%}
    select {{ column_list }} from {{ new_versions }}
    {%- if is_incremental() %}
    union all
    select {{ column_list }} from {{ this }}
    where {{ key }} in (select {{ new_versions }}.{{ key }} from {{ new_versions }})
    {%- endif %}
{%- endmacro %}

{#- The earliest load time an incremental run must take in from `relation`: the oldest load in its
    window (incremental_cutoff: the pending loads, or the lookback) that `relation` holds and the model
    does not, NULL when there is none. A load time stands for the rows one extract committed together
    (one group of files), so a load the model holds was taken in whole. Without it a run after a failed
    one would stage the failed run's loads again, and a dbt run alone would read every row within the
    lookback (after a one-shot backfill, the whole backfill) only to find every id staged. -#}
{% macro first_unstaged_load(relation) -%}
    {%- set first_load -%}
    (
        select min(unstaged_loads.loaded_at)
        from (
            select distinct loads.loaded_at from {{ relation }} as loads
            where loads.loaded_at >= {{ incremental_cutoff('loaded_at') }}
            except
            select distinct held.loaded_at from {{ this }} as held
            where held.loaded_at >= {{ incremental_cutoff('loaded_at') }}
        ) as unstaged_loads
    )
    {%- endset -%}
    {{ timestamp_as_of_compile(first_load) }}
{%- endmacro %}

{#- The rows of `relation` an incremental model has yet to take in. A full build takes every row. An
    incremental run takes the rows of the loads it does not hold yet, from the oldest such load in
    its window on (first_unstaged_load). The window runs on our own load time (`loaded_at`), not the
    event's time, so a late event is new whatever its timestamp says. Rows whose id the model already holds stay
    out: for raw deliveries, the first delivery won before and a redelivery changes nothing.
    `id_column` names the id in `relation`, `staged_id_column` the same id in the model.
    The held ids are probed with the new ones, not the other way round: DuckDB builds the hash table
    of a `not exists` on the held side (78M message ids at 100M events: 11 s a day, cold; 6 s this
    way). The new rows are materialized so that the planner knows how few they are. -#}
{% macro unstaged_rows(relation, id_column='event_id', staged_id_column=none) -%}
    {%- set staged_id_column = staged_id_column or id_column -%}
    {%- if is_incremental() %}
    with new_rows as {{ 'materialized ' if target.type == 'duckdb' }}(
        select * from {{ relation }}
        where loaded_at >= {{ first_unstaged_load(relation) }}
    ),

    already_staged as (
        select staged.{{ staged_id_column }} as staged_id
        from {{ this }} as staged
        where staged.{{ staged_id_column }} in (select new_rows.{{ id_column }} from new_rows)
    )

    select new_rows.*
    from new_rows
    where not exists (
        select 1 from already_staged
        where already_staged.staged_id = new_rows.{{ id_column }}
    )
    {%- else %}
    select * from {{ relation }}
    {%- endif %}
{%- endmacro %}

{#- The loads not yet accepted are the loads a run takes in. The orchestrator records a load in
    raw.accepted_loads once a run that took it in has published, and only a run that built every
    model and ran every test calling one of the macros that read pending loads (pending_loads_only,
    is_pending_load, first_pending_load_time, users_with_changed_calls; found in the manifest:
    orchestration/dbt.py, pending_load_readers) accepts, so an accepted load was taken in whole.
    The orchestrator's gates apply the same rule in Python (raw_quality.UNACCEPTED).

    first_pending_load_time: the load time of the oldest pending load, NULL when none is pending, and
    1970-01-01 (every row) when `whole_history` or when the warehouse has no raw.accepted_loads (dbt
    run alone, the Spark check). A row a pending load wrote or changed carries a load time at or after
    it: for models whose rows carry a load time but no load id (a stitched call's stitched_through). -#}
{% macro first_pending_load_time(whole_history) -%}
    {%- if scoped_to_pending_loads(whole_history) -%}
    {%- set first_pending -%}
    (
        select min(manifest.loaded_at) from {{ source('raw', 'load_manifest') }} as manifest
        where manifest.load_id not in (select accepted.load_id from {{ accepted_loads_relation() }} as accepted)
    )
    {%- endset -%}
    {{ timestamp_as_of_compile(first_pending) }}
    {%- else -%}
    {{ the_beginning() }}
    {%- endif -%}
{%- endmacro %}

{#- Whether a run takes in only the pending loads: not on `whole_history`, nor when the warehouse has
    no raw.accepted_loads (dbt run alone, the Spark check; at parse time), nor when no load was ever
    accepted (the orchestrator's full refresh starts from an empty warehouse): every load is pending
    then, and the whole-history form of a query is the cheaper one. At 100M events the staging
    guard's scoped form, on every load, took 76 s alone and ran out of DuckDB's 2.5GB beside the
    identity map in a full refresh; its whole-history form takes 40 s. -#}
{% macro scoped_to_pending_loads(whole_history) -%}
    {%- set accepted = none if whole_history else accepted_loads_relation() -%}
    {%- if accepted is none -%}
        {{- return(false) -}}
    {%- endif -%}
    {{- return(run_query('select count(*) > 0 from ' ~ accepted).columns[0].values()[0]) -}}
{%- endmacro %}

{#- raw.accepted_loads, none when the warehouse has none (or at parse time). -#}
{% macro accepted_loads_relation() -%}
    {%- set manifest = source('raw', 'load_manifest') -%}
    {{- return(adapter.get_relation(
        database=manifest.database, schema=manifest.schema, identifier='accepted_loads'
    ) if execute else none) -}}
{%- endmacro %}

{#- A where clause keeping the rows of the pending loads, for `relation`s that carry load_id and
    loaded_at. The load-time bound selects no other rows (a row carries its load's manifest time) but
    lets the engine skip the accepted history unread. Empty (every row) when not
    scoped_to_pending_loads. -#}
{% macro pending_loads_only(whole_history) -%}
    {%- if scoped_to_pending_loads(whole_history) %}
    where {{ is_pending_load(whole_history) }}
    {%- endif %}
{%- endmacro %}

{#- The same rule as a condition on a row: true for the rows of the pending loads (every row when not
    scoped_to_pending_loads). -#}
{% macro is_pending_load(whole_history) -%}
    {%- if scoped_to_pending_loads(whole_history) -%}
    (
        load_id not in (select accepted.load_id from {{ accepted_loads_relation() }} as accepted)
        and loaded_at >= {{ first_pending_load_time(whole_history) }}
    )
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}
