{#- The users a per-user model rebuilt incrementally recomputes, from all their calls: those whose
    calls the pending loads may have changed (int_users_with_changed_calls), as a select of user_id.
    With `within_days_of_signup`, for models that read only that window after a signup, a user whose
    calls the loads only added keeps out when the earliest of them came that many days or more after
    the (new) signup. A user who may have lost calls, or who has no signup any more, always counts.
    Such a model calls it outside its is_incremental() blocks (into a variable), so that dbt records
    the dependencies in every build and the orchestrator counts the model among the readers of
    pending loads (orchestration/dbt.py). -#}
{% macro users_with_changed_calls(within_days_of_signup=none) -%}
    select changed.user_id
    from {{ ref('int_users_with_changed_calls') }} as changed
    {%- if within_days_of_signup is not none %}
    left join {{ ref('int_user_signups') }} as signups on changed.user_id = signups.user_id
    where signups.signed_up_at is null
        or changed.changed_from < {{ dbt.dateadd('day', within_days_of_signup, 'signups.signed_up_at') }}
    {%- endif %}
{%- endmacro %}

{#- Whether the per-user incremental model being built holds only rows computed under this
    definition (its definition_hash column: a hash of the vars its rows depend on). False on a full
    build, and when another hash, or no row, is held: the model then recomputes every user, and its
    pre-hook forgets the rows of other hashes. -#}
{% macro holds_only_definition(definition_hash) -%}
    {%- if not (execute and is_incremental()) %}
        {{- return(false) }}
    {%- endif %}
    {%- set held = run_query('select distinct definition_hash from ' ~ this).columns[0].values() %}
    {{- return(held | list == [definition_hash]) }}
{%- endmacro %}

{#- The pre-hook of a per-user incremental model: in an incremental run, forget what is held for the
    users it recomputes (users_with_changed_calls; a user can lose rows) and, with `definition_hash`,
    every row computed under another definition (holds_only_definition then recomputes everyone). -#}
{% macro forget_users_to_recompute(definition_hash=none, within_days_of_signup=none) -%}
    {%- if is_incremental() %}
    delete from {{ this }}
    where user_id in ({{ users_with_changed_calls(within_days_of_signup=within_days_of_signup) }})
        {%- if definition_hash is not none %}
        or definition_hash != '{{ definition_hash }}'
        {%- endif %}
    {%- endif %}
{%- endmacro %}

{#- Whether a model that reads the model being built (a ref to it) exists in the warehouse: one that
    does not yet builds whole, without reading it. True at parse time. -#}
{% macro any_reader_built() -%}
    {%- if not execute %}
        {{- return(true) }}
    {%- endif %}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and model.unique_id in node.depends_on.nodes %}
        {%- if adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) is not none %}
            {{- return(true) }}
        {%- endif %}
    {%- endfor %}
    {{- return(false) }}
{%- endmacro %}

{#- Where a per-user incremental model recomputes each changed user from, as a select of user_id and
    from_date: the start of the `date_part` (day or month) of the earliest call the pending loads added
    or moved to them (changed_from in int_users_with_changed_calls), when their signup came before
    that call: the signup then did not move (a moved signup lands on a new call), and an earlier day
    or month keeps its calls and their place before or after the signup. 1970-01-01 (everything) for
    a user who may have lost calls, has no signup, or signs up at or after the call. -#}
{% macro changed_users_from(date_part) -%}
    select
        changed.user_id,
        case
            when signups.signed_up_at < changed.changed_from
                then cast({{ dbt.date_trunc(date_part, 'changed.changed_from') }} as date)
            else {{ the_beginning('date') }}
        end as from_date
    from {{ ref('int_users_with_changed_calls') }} as changed
    left join {{ ref('int_user_signups') }} as signups on changed.user_id = signups.user_id
{%- endmacro %}

{#- The pre-hook of a per-user, per-month incremental model (delete+insert by user and month): in an
    incremental run, forget every row computed under another definition, and the months it recomputes
    (changed_users_from('month')). A join (DuckDB's delete ... using; is_incremental() is never true
    on Spark): at 100M events, the same rule as a correlated `exists` took 3 s, the join 0.5 s. -#}
{% macro forget_user_months_to_recompute(definition_hash) -%}
    {%- if is_incremental() %}
    {{ forget_other_definitions(definition_hash) }};
    delete from {{ this }} as held
    using ({{ changed_users_from('month') }}) as changed
    where changed.user_id = held.user_id and held.month >= changed.from_date
    {%- endif %}
{%- endmacro %}

{#- The pre-hook of a per-user incremental model whose rows a user's new calls can only add to
    (int_user_active_periods: the periods with an active day): in an incremental run, forget every
    row computed under another definition, and every row of the users it recomputes from the start
    (changed_users_from: from 1970). The others' rows stay; the run rewrites those it recomputes. -#}
{% macro forget_users_to_recompute_whole(definition_hash) -%}
    {%- if is_incremental() %}
    {{ forget_other_definitions(definition_hash) }};
    delete from {{ this }} as held
    using ({{ changed_users_from('day') }}) as changed
    where changed.user_id = held.user_id and changed.from_date = {{ the_beginning('date') }}
    {%- endif %}
{%- endmacro %}

{#- The post-hook of int_users_stitched_to_accounts: in an incremental run, forget the users it wrote
    without a first call (recomputed from all of their calls and left with none: every call moved to
    another user). A run cannot delete them before it reads what they hold. -#}
{% macro forget_users_without_calls() -%}
    {%- if is_incremental() %}
    delete from {{ this }} where first_seen_at is null
    {%- endif %}
{%- endmacro %}

{#- The pre-hook of an incremental model that keeps a definition_hash: in an incremental run, forget
    every row computed under another definition (holds_only_definition then recomputes them all). -#}
{% macro forget_other_definitions(definition_hash) -%}
    {%- if is_incremental() %}
    delete from {{ this }} where definition_hash != '{{ definition_hash }}'
    {%- endif %}
{%- endmacro %}
