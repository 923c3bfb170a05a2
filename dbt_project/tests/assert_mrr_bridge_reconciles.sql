-- Invariant: for every month, starting MRR plus every movement (new, expansion, contraction, churn,
-- reactivation, FX) equals ending MRR, and each month starts where the previous one ended.
-- Tolerance: none. All terms are exact decimals; a single cent of difference fails.
with movements as (
    select * from {{ ref('mrr_movements') }}
),

checked as (
    select
        month,
        starting_mrr + new_mrr + expansion_mrr + contraction_mrr + churned_mrr + reactivation_mrr
            + fx_impact_mrr - ending_mrr as bridge_gap,
        starting_mrr - coalesce(lag(ending_mrr) over (order by month), starting_mrr) as continuity_gap
    from movements
)

select * from checked where bridge_gap <> 0 or continuity_gap <> 0
