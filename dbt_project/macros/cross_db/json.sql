{#- JSON access differs per engine; models call these and never the engine's functions.
    Paths are JSONPath strings such as '$.data.object.id'. -#}

{% macro json_str(column, path) -%}
    {{ return(adapter.dispatch('json_str', 'subscription_warehouse')(column, path)) }}
{%- endmacro %}
{% macro default__json_str(column, path) -%}
    get_json_object({{ column }}, '{{ path }}')
{%- endmacro %}
{% macro duckdb__json_str(column, path) -%}
    json_extract_string({{ column }}, '{{ path }}')
{%- endmacro %}

{#- A JSON sub-document, still as JSON text. -#}
{% macro json_doc(column, path) -%}
    {{ return(adapter.dispatch('json_doc', 'subscription_warehouse')(column, path)) }}
{%- endmacro %}
{% macro default__json_doc(column, path) -%}
    get_json_object({{ column }}, '{{ path }}')
{%- endmacro %}
{% macro duckdb__json_doc(column, path) -%}
    json_extract({{ column }}, '{{ path }}')
{%- endmacro %}

{#- One output row per element of the JSON array at `path` (use in a select list). -#}
{% macro json_array_elements(column, path) -%}
    {{ return(adapter.dispatch('json_array_elements', 'subscription_warehouse')(column, path)) }}
{%- endmacro %}
{% macro default__json_array_elements(column, path) -%}
    explode(from_json(get_json_object({{ column }}, '{{ path }}'), 'array<string>'))
{%- endmacro %}
{% macro duckdb__json_array_elements(column, path) -%}
    unnest(json_extract({{ column }}, '{{ path }}[*]'))
{%- endmacro %}

{#- The text of one element produced by json_array_elements when it is a string (an id): DuckDB yields
    JSON values ('"di_1"'), Spark's from_json(array<string>) yields the bare text (di_1). -#}
{% macro json_element_text(element) -%}
    {{ return(adapter.dispatch('json_element_text', 'subscription_warehouse')(element)) }}
{%- endmacro %}
{% macro default__json_element_text(element) -%}
    {{ element }}
{%- endmacro %}
{% macro duckdb__json_element_text(element) -%}
    json_extract_string({{ element }}, '$')
{%- endmacro %}

{#- True when the value at `path` is a JSON object (an expanded Stripe object, not an id string). -#}
{% macro json_is_object(column) -%}
    {{ return(adapter.dispatch('json_is_object', 'subscription_warehouse')(column)) }}
{%- endmacro %}
{% macro default__json_is_object(column) -%}
    (substr(trim({{ column }}), 1, 1) = '{')
{%- endmacro %}
{% macro duckdb__json_is_object(column) -%}
    (json_type({{ column }}) = 'OBJECT')
{%- endmacro %}

{#- Sum of the integer field `field` over the JSON array at `path` (NULL when the array is absent). -#}
{% macro json_array_sum(column, path, field) -%}
    {{ return(adapter.dispatch('json_array_sum', 'subscription_warehouse')(column, path, field)) }}
{%- endmacro %}
{% macro default__json_array_sum(column, path, field) -%}
    aggregate(from_json(get_json_object({{ column }}, '{{ path }}'), 'array<struct<{{ field }}:bigint>>'),
              cast(0 as bigint), (acc, x) -> acc + x.{{ field }})
{%- endmacro %}
{% macro duckdb__json_array_sum(column, path, field) -%}
    case when json_extract({{ column }}, '{{ path }}') is not null
        then coalesce(list_sum(cast(json_extract({{ column }}, '{{ path }}[*].{{ field }}') as bigint[])), 0) end
{%- endmacro %}
