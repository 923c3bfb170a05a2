{#- The numbers a mart reports once it is built (the marts' post-hook, dbt_project.yml): its row count
    and, for some marts, headline numbers. Each headline is a query returning one value from the
    mart, `{mart}` standing for it; a NULL one is left out. Keep them cheap: they run on every build. -#}
{% macro mart_headlines() -%}
    {{ return({
        'customer_health_evaluation': {
            'holdout_auc': "select auc from {mart} where sample = 'holdout'",
            'training_auc': "select auc from {mart} where sample = 'training'",
            'holdout_customer_months': "select customer_months from {mart} where sample = 'holdout'",
        },
        'fct_user_activation': {
            'activation_rate': "select avg(case when is_activated then 1.0 else 0.0 end) from {mart}"
                ~ " where is_activation_window_complete",
            'median_hours_to_value': "select " ~ median('hours_to_value') ~ " from {mart}",
        },
        'mrr_movements': {
            'ending_mrr': "select ending_mrr from {mart} order by month desc limit 1",
            'ending_arr': "select ending_arr from {mart} order by month desc limit 1",
        },
        'churn_monthly': {
            'net_revenue_retention': "select net_revenue_retention from {mart}"
                ~ " where net_revenue_retention is not null order by month desc limit 1",
        },
    }) }}
{%- endmacro %}

{#- A post-hook: computes the numbers in the run's own connection and logs them as one line,
    `mart numbers: ` and a JSON object (`dagster/row_count` and the headlines). The orchestrator
    reads that line from dbt's event stream and attaches the numbers to the mart's materialization
    (orchestration/dbt.py, MART_NUMBERS_PREFIX), so it need not open the warehouse after dbt, nor
    hold the events back until then. The hook's own SQL is empty. -#}
{% macro log_mart_numbers() -%}
    {%- if execute and model.resource_type == 'model' -%}
        {%- set headlines = mart_headlines().get(model.name, {}) -%}
        {%- set selects = ['(select count(*) from ' ~ this ~ ') as c0'] -%}
        {%- for sql in headlines.values() -%}
            {%- do selects.append('(' ~ sql.replace('{mart}', this | string) ~ ') as c' ~ loop.index) -%}
        {%- endfor -%}
        {%- set row = run_query('select ' ~ selects | join(', ')).rows[0] -%}
        {%- set numbers = {'dagster/row_count': row[0] | int} -%}
        {%- for key in headlines -%}
            {%- if row[loop.index] is not none -%}
                {%- do numbers.update({key: row[loop.index] | float}) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do log('mart numbers: ' ~ tojson(numbers), info=true) -%}
    {%- endif -%}
{%- endmacro %}
