-- grain: one row per customer per month, from the first paid month through the churn month, with
-- gap months (zero MRR) between a churn and a reactivation; customers still paying run to the horizon.
-- Money: `mrr` in the reporting currency (2 decimals), `mrr_local_minor` in the customer's currency.
-- Identity per row: mrr = previous_mrr + fx_impact + movement_mrr.
with customer_months as (
    select * from {{ ref('int_customer_mrr_spined_to_months') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_by_month') }}
),

currencies as (
    select * from {{ ref('currencies') }}
),

kept_months as (
    select *
    from customer_months
    -- keep everything up to one month after the last paid month (the churn month)
    where month <= cast({{ dbt.dateadd('month', 1, 'last_paid_month') }} as date)
),

with_previous as (
    select
        kept_months.customer_id,
        kept_months.month,
        kept_months.currency_code,
        kept_months.mrr_minor,
        coalesce(
            lag(kept_months.mrr_minor) over (partition by kept_months.customer_id order by kept_months.month),
            0
        ) as previous_mrr_minor,
        coalesce(
            lag(fx_rates.rate_to_reporting) over (partition by kept_months.customer_id order by kept_months.month),
            fx_rates.rate_to_reporting
        ) as previous_rate,
        coalesce(
            max(case when kept_months.mrr_minor > 0 then 1 else 0 end) over (
                partition by kept_months.customer_id order by kept_months.month
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) = 1 as has_paid_before,
        fx_rates.rate_to_reporting,
        currencies.minor_unit_factor
    from kept_months
    left join fx_rates
        on fx_rates.currency_code = kept_months.currency_code
        and fx_rates.month = kept_months.month
    left join currencies on currencies.currency_code = kept_months.currency_code
),

converted as (
    select
        *,
        {{ to_reporting_currency('mrr_minor', 'minor_unit_factor', 'rate_to_reporting') }} as mrr,
        {{ to_reporting_currency('previous_mrr_minor', 'minor_unit_factor', 'previous_rate') }} as previous_mrr,
        {{ to_reporting_currency('previous_mrr_minor', 'minor_unit_factor', 'rate_to_reporting') }}
            as previous_mrr_at_current_rate
    from with_previous
),

final as (
    select
        customer_id,
        month,
        currency_code,
        cast(mrr_minor as decimal(38, 6)) as mrr_local_minor,
        cast(previous_mrr_minor as decimal(38, 6)) as previous_mrr_local_minor,
        mrr,
        previous_mrr,
        cast(mrr - previous_mrr as decimal(18, 2)) as mrr_change,
        cast(previous_mrr_at_current_rate - previous_mrr as decimal(18, 2)) as fx_impact,
        cast(mrr - previous_mrr_at_current_rate as decimal(18, 2)) as movement_mrr,
        {{ mrr_movement('previous_mrr_minor', 'mrr_minor', 'has_paid_before') }} as movement,
        rate_to_reporting
    from converted
)

select * from final
