{#- Layers live in plainly named schemas (staging, intermediate, marts, reference) rather than
    dbt's default "<target schema>_<custom schema>", so BI users read `marts.fct_mrr`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
