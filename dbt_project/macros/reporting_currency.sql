{#- The reporting currency (var `reporting_currency`), checked: a lowercase ISO 4217 code such as usd.
    It is written into SQL, so anything else stops compilation with a message instead. -#}
{% macro reporting_currency() -%}
    {%- set code = var('reporting_currency') | string -%}
    {%- if not modules.re.fullmatch('[a-z]{3}', code) -%}
        {{ exceptions.raise_compiler_error("var 'reporting_currency' must be a lowercase 3-letter ISO code such as usd, got " ~ code) }}
    {%- endif -%}
    {{ return(code) }}
{%- endmacro %}
