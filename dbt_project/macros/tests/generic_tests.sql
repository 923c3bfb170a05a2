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
