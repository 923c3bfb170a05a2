-- grain: one row per customer paying at the data horizon (the horizon month's snapshot), with a
-- churn-risk score from 0 (safe) to 100 and what drives it. The score is the churn probability of
-- int_customer_health_scored_by_month (naive Bayes learned on earlier months); its accuracy on
-- held-out months is in customer_health_evaluation. risk_band: high when the score is at least
-- twice the training churn rate, low when at most half of it, medium otherwise.
{%- set features = ['activation', 'engagement', 'seat_usage', 'payment', 'tenure'] %}
with scored as (
    select * from {{ ref('int_customer_health_scored_by_month') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

training_rate as (
    select avg(case when churned_next_month then 1.0 else 0.0 end) as churn_rate
    from scored
    where sample = 'training'
),

current_month as (
    select * from scored where is_horizon_month
),

drivers as (
    {%- for feature in features %}
    select
        customer_id,
        '{{ feature }}:' || {{ feature }}_bucket as driver,
        {{ feature }}_weight as weight
    from current_month
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

top_driver as (
    select
        customer_id,
        driver,
        row_number() over (partition by customer_id order by weight desc, driver asc) as driver_rank
    from drivers
    where weight > 0
),

final as (
    select
        current_month.customer_id,
        customers.account_id,
        current_month.month,
        current_month.as_of_at,
        cast(round(current_month.churn_probability * 100, 1) as decimal(5, 1)) as risk_score,
        case
            when current_month.churn_probability >= 2 * training_rate.churn_rate then 'high'
            when current_month.churn_probability <= 0.5 * training_rate.churn_rate then 'low'
            else 'medium'
        end as risk_band,
        top_driver.driver as top_risk_driver,
        current_month.activation_bucket,
        current_month.engagement_bucket,
        current_month.seat_usage_bucket,
        current_month.payment_bucket,
        current_month.tenure_bucket,
        current_month.active_users_last_30_days,
        current_month.active_users_previous_30_days,
        current_month.seats,
        current_month.payment_failures_last_90_days,
        current_month.months_paying
    from current_month
    cross join training_rate
    left join customers on current_month.customer_id = customers.customer_id
    left join top_driver on current_month.customer_id = top_driver.customer_id and top_driver.driver_rank = 1
)

select * from final
