{#- A direct identifier (an email) as a keyed hash: HMAC-SHA256 of the trimmed, lower-cased text, hex.
    `pii_hash` is registered on the connection with a secret key (orchestration/pii.py: on DuckDB by
    the dbt-duckdb plugin in profiles.yml; on Spark by the session, docs/spark.md), so the key never
    appears in compiled SQL, target/ or logs. The same email hashes the same in every source. -#}
{% macro hash_identifier(expression) -%}
    pii_hash({{ expression }})
{%- endmacro %}
