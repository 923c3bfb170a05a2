-- grain: one row per month (the months of mrr_movements).
-- Logo churn: customers churned / customers paying at the previous month end. Revenue churn: MRR lost
-- / starting MRR at this month's exchange rates (so a currency move is neither churn nor retention).
-- Voluntary vs involuntary: a churn is involuntary when a subscription that stopped paying that month
-- ended because payment failed (see int_subscription_states_from_snapshots.is_payment_failure).
with movements as (
    select * from {{ ref('mrr_movements') }}
),

mrr as (
    select * from {{ ref('fct_mrr') }}
),

subscription_months as (
    select * from {{ ref('int_subscription_mrr_by_month') }}
),

stopped_subscriptions as (
    select
        customer_id,
        month,
        max(case when is_payment_failure then 1 else 0 end) = 1 as is_involuntary
    from subscription_months
    where previous_mrr_minor > 0 and mrr_minor = 0
    group by customer_id, month
),

paused_subscriptions as (
    select
        month,
        count(*) as subscriptions_paused
    from subscription_months
    where is_paused
    group by month
),

churns as (
    select
        mrr.month,
        sum(case when coalesce(stopped_subscriptions.is_involuntary, false) then 1 else 0 end)
            as customers_churned_involuntary,
        sum(case when coalesce(stopped_subscriptions.is_involuntary, false) then 0 else 1 end)
            as customers_churned_voluntary,
        sum(case when coalesce(stopped_subscriptions.is_involuntary, false) then -mrr.movement_mrr else 0 end)
            as mrr_lost_to_involuntary_churn,
        sum(case when coalesce(stopped_subscriptions.is_involuntary, false) then 0 else -mrr.movement_mrr end)
            as mrr_lost_to_voluntary_churn
    from mrr
    left join stopped_subscriptions
        on stopped_subscriptions.customer_id = mrr.customer_id
        and stopped_subscriptions.month = mrr.month
    where mrr.movement = 'churn'
    group by mrr.month
),

combined as (
    select
        movements.month,
        movements.customers_start,
        movements.customers_churned,
        cast(coalesce(churns.customers_churned_voluntary, 0) as bigint) as customers_churned_voluntary,
        cast(coalesce(churns.customers_churned_involuntary, 0) as bigint) as customers_churned_involuntary,
        movements.starting_mrr,
        cast(movements.starting_mrr + movements.fx_impact_mrr as decimal(18, 2)) as starting_mrr_at_current_rates,
        cast(-movements.churned_mrr as decimal(18, 2)) as mrr_lost_to_churn,
        cast(coalesce(churns.mrr_lost_to_voluntary_churn, 0) as decimal(18, 2)) as mrr_lost_to_voluntary_churn,
        cast(coalesce(churns.mrr_lost_to_involuntary_churn, 0) as decimal(18, 2)) as mrr_lost_to_involuntary_churn,
        cast(-movements.contraction_mrr as decimal(18, 2)) as mrr_lost_to_contraction,
        movements.expansion_mrr as mrr_gained_from_expansion,
        cast(coalesce(paused_subscriptions.subscriptions_paused, 0) as bigint) as subscriptions_paused
    from movements
    left join churns on churns.month = movements.month
    left join paused_subscriptions on paused_subscriptions.month = movements.month
),

final as (
    select
        *,
        {{ safe_ratio('customers_churned', 'customers_start') }} as logo_churn_rate,
        {{ safe_ratio('customers_churned_voluntary', 'customers_start') }} as voluntary_logo_churn_rate,
        {{ safe_ratio('customers_churned_involuntary', 'customers_start') }} as involuntary_logo_churn_rate,
        {{ safe_ratio('mrr_lost_to_churn + mrr_lost_to_contraction', 'starting_mrr_at_current_rates') }}
            as gross_revenue_churn_rate,
        {{ safe_ratio('mrr_lost_to_churn + mrr_lost_to_contraction - mrr_gained_from_expansion',
                      'starting_mrr_at_current_rates') }} as net_revenue_churn_rate,
        {{ safe_ratio('starting_mrr_at_current_rates - mrr_lost_to_churn - mrr_lost_to_contraction',
                      'starting_mrr_at_current_rates') }} as gross_revenue_retention,
        {{ safe_ratio('starting_mrr_at_current_rates - mrr_lost_to_churn - mrr_lost_to_contraction'
                      ~ ' + mrr_gained_from_expansion', 'starting_mrr_at_current_rates') }} as net_revenue_retention
    from combined
)

select * from final
