-- grain: one row per calendar day from 2015 to 2035. MetricFlow's time spine (the semantic layer joins
-- metrics to it to fill days and roll days up to weeks, months, quarters and years). Published with the
-- marts so `mf query` works against the serving copy.
with days as (
    {{ dbt.date_spine('day', "cast('2015-01-01' as date)", "cast('2036-01-01' as date)") }}
),

final as (
    select cast(date_day as date) as date_day from days
)

select * from final
