-- grain: one row per month, from the first month with MRR to the horizon.
-- Bridge: starting_mrr + new + expansion + contraction + churned + reactivation + fx = ending_mrr,
-- exactly (contraction and churned are negative; every term is a sum of fct_mrr's exact decimals).
with mrr as (
    select * from {{ ref('fct_mrr') }}
),

months as (
    select * from {{ ref('int_months_to_horizon') }}
),

by_month as (
    select
        month,
        sum(previous_mrr) as starting_mrr,
        sum(case when movement = 'new' then movement_mrr else 0 end) as new_mrr,
        sum(case when movement = 'expansion' then movement_mrr else 0 end) as expansion_mrr,
        sum(case when movement = 'contraction' then movement_mrr else 0 end) as contraction_mrr,
        sum(case when movement = 'churn' then movement_mrr else 0 end) as churned_mrr,
        sum(case when movement = 'reactivation' then movement_mrr else 0 end) as reactivation_mrr,
        sum(fx_impact) as fx_impact_mrr,
        sum(mrr) as ending_mrr,
        sum(case when previous_mrr_local_minor > 0 then 1 else 0 end) as customers_start,
        sum(case when movement = 'new' then 1 else 0 end) as customers_new,
        sum(case when movement = 'churn' then 1 else 0 end) as customers_churned,
        sum(case when movement = 'reactivation' then 1 else 0 end) as customers_reactivated,
        sum(case when mrr_local_minor > 0 then 1 else 0 end) as customers_end
    from mrr
    group by month
),

spined as (
    select
        months.month,
        {% for column in ['starting_mrr', 'new_mrr', 'expansion_mrr', 'contraction_mrr', 'churned_mrr',
                          'reactivation_mrr', 'fx_impact_mrr', 'ending_mrr'] %}
        cast(coalesce(by_month.{{ column }}, 0) as decimal(18, 2)) as {{ column }},
        {% endfor %}
        {% for column in ['customers_start', 'customers_new', 'customers_churned', 'customers_reactivated',
                          'customers_end'] %}
        cast(coalesce(by_month.{{ column }}, 0) as bigint) as {{ column }}{{ "," if not loop.last }}
        {% endfor %}
    from months
    left join by_month on by_month.month = months.month
    where months.month >= (select min(mrr.month) from mrr)
),

final as (
    select
        month,
        starting_mrr,
        new_mrr,
        expansion_mrr,
        contraction_mrr,
        churned_mrr,
        reactivation_mrr,
        fx_impact_mrr,
        ending_mrr,
        cast(new_mrr + expansion_mrr + reactivation_mrr + contraction_mrr + churned_mrr as decimal(18, 2))
            as net_new_mrr,
        cast(ending_mrr * 12 as decimal(18, 2)) as ending_arr,
        customers_start,
        customers_new,
        customers_churned,
        customers_reactivated,
        customers_end,
        {{ divide_half_up('new_mrr + expansion_mrr + reactivation_mrr', '-(contraction_mrr + churned_mrr)', scale=4) }}
            as quick_ratio
    from spined
)

select * from final
