-- grain: one row per user per experiment (Segment "Experiment Viewed" calls). The user's variant is
-- the one of their first exposure; a user exposed to more than one variant of the same experiment is
-- flagged (has_conflicting_exposures) and left out of the experiment's analysis.
with tracks as (
    select * from {{ ref('int_lifecycle_calls') }}
    where event_name = {{ sql_string(experiment_viewed_event()) }} and user_id is not null
),

exposures as (
    select
        user_id,
        coalesce(
            {{ json_str('properties', '$.experiment_id') }}, {{ json_str('properties', '$.experiment_name') }}
        ) as experiment_id,
        coalesce(
            {{ json_str('properties', '$.variation_name') }}, {{ json_str('properties', '$.variation_id') }}
        ) as variant,
        occurred_at,
        message_id
    from tracks
),

ranked as (
    select
        *,
        row_number() over (partition by user_id, experiment_id order by occurred_at, message_id) as exposure_rank,
        min(variant) over (partition by user_id, experiment_id) as first_variant_alphabetically,
        max(variant) over (partition by user_id, experiment_id) as last_variant_alphabetically
    from exposures
    where experiment_id is not null and variant is not null
),

final as (
    select
        user_id,
        experiment_id,
        variant,
        occurred_at as first_exposed_at,
        first_variant_alphabetically != last_variant_alphabetically as has_conflicting_exposures
    from ranked
    where exposure_rank = 1
)

select * from final
