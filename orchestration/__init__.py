"""Subscription-analytics warehouse: Dagster orchestration of a dbt project on DuckDB."""
