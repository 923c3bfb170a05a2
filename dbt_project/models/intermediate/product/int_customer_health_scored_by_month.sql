-- grain: one row per customer per month paying at the month's end, scored for churn risk.
-- The score is a naive Bayes model over the buckets of int_customer_health_features_by_month,
-- learned only from the training months: every labelled month except the most recent
-- `health_holdout_months` ones, which are kept to evaluate it (customer_health_evaluation).
-- churn probability = logistic(prior log-odds + the sum over features of
-- ln P(bucket | churned) - ln P(bucket | stayed)), counts Laplace-smoothed (+1 per bucket).
{%- set features = {'activation': 2, 'engagement': 3, 'seat_usage': 2, 'payment': 3, 'tenure': 2} %}
{%- set holdout = positive_int(var('health_holdout_months'), 'health_holdout_months') | int %}
with features as (
    select * from {{ ref('int_customer_health_features_by_month') }}
),

labelled_months as (
    select
        month,
        row_number() over (order by month desc) as recency
    from features
    where churned_next_month is not null
    group by month
),

split as (
    select
        features.*,
        case
            when labelled_months.recency is null then 'unlabelled'
            when labelled_months.recency <= {{ holdout }} then 'holdout'
            else 'training'
        end as sample
    from features
    left join labelled_months on features.month = labelled_months.month
),

training as (
    select * from split where sample = 'training'
),

class_counts as (
    select
        count(case when churned_next_month then 1 end) as churned,
        count(case when not churned_next_month then 1 end) as stayed
    from training
),

bucket_counts as (
    {%- for feature in features %}
    select
        '{{ feature }}' as feature,
        {{ feature }}_bucket as bucket,
        count(case when churned_next_month then 1 end) as churned,
        count(case when not churned_next_month then 1 end) as stayed
    from training
    group by {{ feature }}_bucket
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

{%- for feature, bucket_count in features.items() %}

{{ feature }}_weights as (
    select
        bucket_counts.bucket,
        ln((bucket_counts.churned + 1.0) / (class_counts.churned + {{ bucket_count }}))
        - ln((bucket_counts.stayed + 1.0) / (class_counts.stayed + {{ bucket_count }})) as weight
    from bucket_counts
    cross join class_counts
    where bucket_counts.feature = '{{ feature }}'
),
{%- endfor %}

scored as (
    select
        split.*,
        {%- for feature in features %}
        coalesce({{ feature }}_weights.weight, 0) as {{ feature }}_weight,
        {%- endfor %}
        ln((class_counts.churned + 1.0) / (class_counts.stayed + 1.0))
        {%- for feature in features %}
        + coalesce({{ feature }}_weights.weight, 0)
        {%- endfor %} as log_odds
    from split
    cross join class_counts
    {%- for feature in features %}
    left join {{ feature }}_weights on split.{{ feature }}_bucket = {{ feature }}_weights.bucket
    {%- endfor %}
),

final as (
    select
        *,
        1.0 / (1.0 + exp(-log_odds)) as churn_probability
    from scored
)

-- the columns are split.* plus one weight per feature, and the features are a list in this file
select * from final  -- noqa: AM04
