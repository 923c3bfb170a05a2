-- grain: one row per month. ARPA = ending MRR / paying customers at the month end. Churn-based LTV =
-- ARPA / the logo churn rate over the trailing churn window (var ltv_churn_window_months, default 3:
-- customers churned in the window / the sum of customers paying at the start of each of its months).
-- NULL until the window is full, and when nobody churned in it (LTV is then unbounded, not infinite).
-- Revenue LTV, before gross margin.
{% set window_months = positive_int(var('ltv_churn_window_months'), 'ltv_churn_window_months') | int %}
with movements as (
    select * from {{ ref('mrr_movements') }}
),

windowed as (
    select
        month,
        ending_mrr,
        customers_end,
        sum(customers_churned) over churn_window as window_customers_churned,
        sum(customers_start) over churn_window as window_customer_months,
        count(*) over churn_window as window_months_available
    from movements
    window churn_window as (order by month rows between {{ window_months - 1 }} preceding and current row)
),

measured as (
    select
        month,
        ending_mrr,
        customers_end,
        case when customers_end > 0
            then {{ divide_half_up('ending_mrr', 'customers_end', scale=2) }}
        end as arpa,
        {{ window_months }} as churn_window_months,
        cast(window_customers_churned as bigint) as window_customers_churned,
        cast(window_customer_months as bigint) as window_customer_months,
        case when window_months_available = {{ window_months }}
            then {{ safe_ratio('window_customers_churned', 'window_customer_months') }}
        end as trailing_logo_churn_rate
    from windowed
),

final as (
    select
        *,
        case when trailing_logo_churn_rate > 0
            then {{ divide_half_up('1', 'trailing_logo_churn_rate', scale=2, input_decimals=6) }}
        end as expected_lifetime_months,
        case when trailing_logo_churn_rate > 0
            then {{ divide_half_up('arpa', 'trailing_logo_churn_rate', scale=2, input_decimals=6) }}
        end as ltv
    from measured
)

select * from final
