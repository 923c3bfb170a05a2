-- grain: one row per sample: training (the months the score was learned from) and holdout (the
-- most recent `health_holdout_months` months with a known outcome, never seen in training). AUC is
-- the probability that a customer who churned the next month was scored riskier than one who
-- stayed (ties count half), computed exactly from the score's rank order (Mann-Whitney U). 0.5 is
-- no better than chance; NULL when a sample has no churner or no stayer.
with scored as (
    select * from {{ ref('int_customer_health_scored_by_month') }}
    where sample in ('training', 'holdout')
),

by_score as (
    select
        sample,
        churn_probability,
        count(case when churned_next_month then 1 end) as churned,
        count(case when not churned_next_month then 1 end) as stayed
    from scored
    group by sample, churn_probability
),

ranked as (
    select
        *,
        coalesce(sum(stayed) over (
            partition by sample order by churn_probability rows between unbounded preceding and 1 preceding
        ), 0) as stayed_scored_lower
    from by_score
),

samples as (
    select
        sample,
        min(month) as first_month,
        max(month) as last_month,
        count(*) as customer_months,
        count(case when churned_next_month then 1 end) as churned,
        count(case when not churned_next_month then 1 end) as stayed
    from scored
    group by sample
),

concordance as (
    select
        sample,
        sum(churned * (stayed_scored_lower + 0.5 * stayed)) as concordant_pairs
    from ranked
    group by sample
),

final as (
    select
        samples.sample,
        samples.first_month,
        samples.last_month,
        samples.customer_months,
        samples.churned,
        {{ safe_ratio('samples.churned', 'samples.customer_months') }} as churn_rate,
        {{ safe_ratio('concordance.concordant_pairs', 'cast(samples.churned as double) * samples.stayed') }} as auc
    from samples
    inner join concordance on samples.sample = concordance.sample
)

select * from final
