-- grain: one row per currency per month of the MRR spine: the rate converting one major unit of the
-- currency into the reporting currency. Rule: the month's seeded rate; for a month without one, the
-- latest earlier month's rate; before the first seeded month, the first rate. Cross rates through
-- USD are rounded to 8 decimals once, here, so every amount converted with them is exact.
with fx_rates as (
    select * from {{ ref('fx_rates') }}
),

months as (
    select * from {{ ref('int_months_to_horizon') }}
),

currencies as (
    select distinct currency_code from fx_rates
),

candidates as (
    select
        currencies.currency_code,
        months.month,
        fx_rates.usd_per_unit,
        row_number() over (
            partition by currencies.currency_code, months.month
            order by
                case when fx_rates.rate_month <= months.month then 0 else 1 end,
                case when fx_rates.rate_month <= months.month then fx_rates.rate_month end desc,
                fx_rates.rate_month
        ) as preference
    from currencies
    cross join months
    inner join fx_rates on fx_rates.currency_code = currencies.currency_code
),

usd_rates as (
    select currency_code, month, usd_per_unit from candidates where preference = 1
),

final as (
    select
        usd_rates.currency_code,
        usd_rates.month,
        '{{ reporting_currency() }}' as reporting_currency_code,
        cast({{ divide_half_up('usd_rates.usd_per_unit', 'reporting.usd_per_unit', scale=8, input_decimals=8) }}
            as decimal(18, 8)) as rate_to_reporting
    from usd_rates
    inner join usd_rates as reporting
        on reporting.currency_code = '{{ reporting_currency() }}'
        and reporting.month = usd_rates.month
)

select * from final
