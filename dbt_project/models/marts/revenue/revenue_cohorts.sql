-- grain: one row per cohort month (the customer's first paid month) per months since that month, up
-- to the horizon. Customers who churned stay in their cohort (at zero); a reactivated customer counts
-- as retained again. MRR retention is at constant currency: both the month's MRR and the cohort's
-- initial MRR are converted at the month's rate, so exchange-rate moves are not retention.
with customer_months as (
    select * from {{ ref('int_customer_mrr_spined_to_months') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_by_month') }}
),

currencies as (
    select * from {{ ref('currencies') }}
),

first_months as (
    select
        customer_id,
        min(month) as cohort_month
    from customer_months
    group by customer_id
),

initial_mrr as (
    select
        first_months.customer_id,
        first_months.cohort_month,
        customer_months.mrr_minor as initial_mrr_minor
    from first_months
    inner join customer_months
        on customer_months.customer_id = first_months.customer_id
        and customer_months.month = first_months.cohort_month
),

converted as (
    select
        initial_mrr.cohort_month,
        {{ dbt.datediff('initial_mrr.cohort_month', 'customer_months.month', 'month') }} as months_since,
        customer_months.customer_id,
        customer_months.mrr_minor,
        {{ to_reporting_currency('customer_months.mrr_minor', 'currencies.minor_unit_factor',
                                 'fx_rates.rate_to_reporting') }} as mrr,
        {{ to_reporting_currency('initial_mrr.initial_mrr_minor', 'currencies.minor_unit_factor',
                                 'fx_rates.rate_to_reporting') }} as initial_mrr_at_month_rate
    from customer_months
    inner join initial_mrr on initial_mrr.customer_id = customer_months.customer_id
    inner join currencies on currencies.currency_code = customer_months.currency_code
    inner join fx_rates
        on fx_rates.currency_code = customer_months.currency_code
        and fx_rates.month = customer_months.month
),

aggregated as (
    select
        cohort_month,
        cast(months_since as bigint) as months_since,
        cast(count(*) as bigint) as cohort_customers,
        cast(sum(case when mrr_minor > 0 then 1 else 0 end) as bigint) as customers_retained,
        cast(sum(mrr) as decimal(18, 2)) as mrr_retained,
        cast(sum(initial_mrr_at_month_rate) as decimal(18, 2)) as cohort_initial_mrr_at_month_rate
    from converted
    group by cohort_month, months_since
),

final as (
    select
        cohort_month,
        cast({{ dbt.dateadd('month', 'months_since', 'cohort_month') }} as date) as month,
        months_since,
        cohort_customers,
        customers_retained,
        mrr_retained,
        cohort_initial_mrr_at_month_rate,
        {{ safe_ratio('customers_retained', 'cohort_customers') }} as customer_retention_rate,
        {{ safe_ratio('mrr_retained', 'cohort_initial_mrr_at_month_rate') }} as net_revenue_retention
    from aggregated
)

select * from final
