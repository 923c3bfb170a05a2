{#- Generic tests written here because `dbt deps` cannot reach the package hub. -#}

{#- Rows where `expression` is not true fail. On a column, the expression continues the column name
    (`expression: ">= 0"`). -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select * from {{ model }}
    where not ({% if column_name %}{{ column_name }} {% endif %}{{ expression }})
{% endtest %}

{#- Duplicate combinations of `columns` fail. -#}
{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#- Duplicate values of `column_name` among the rows the loads of this run wrote or moved (rows whose
    `load_time_column` is at or after the oldest pending load: first_pending_load_time), counted over
    the whole model. For an incremental model rewritten by key (delete+insert) whose rows carry the
    newest load time among the lines they are made of: a row no pending load touched was unique when
    the run that wrote it passed this test, so a duplicate now holds a row of the pending loads. A
    daily run then checks its own rows against the whole table instead of grouping every row
    (int_tracks_stitched_to_users at 100M events: 8 s a day). Every row on a full build
    (--full-refresh, or no load accepted yet) and without raw.accepted_loads (dbt run alone, the
    Spark check). -#}
{% test unique_since_pending_loads(model, column_name, load_time_column) %}
    select {{ column_name }}, count(*) as occurrences
    from {{ model }}
    where {{ column_name }} in (
        select written.{{ column_name }} from {{ model }} as written
        where written.{{ load_time_column }} >= {{ first_pending_load_time(whole_history=flags.FULL_REFRESH) }}
    )
    group by {{ column_name }}
    having count(*) > 1
{% endtest %}
