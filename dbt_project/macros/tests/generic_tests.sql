{#- Generic tests written here because `dbt deps` cannot reach the package hub. -#}

{#- Rows where `expression` is not true fail. -#}
{% test expression_is_true(model, expression) %}
    select * from {{ model }} where not ({{ expression }})
{% endtest %}

{#- Duplicate combinations of `columns` fail. -#}
{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
