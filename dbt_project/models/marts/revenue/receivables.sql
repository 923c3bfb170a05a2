-- grain: one row per invoice still open (finalized, not paid, voided or written off) at the data
-- horizon ("today"), with what is left to pay, its due date, its age and where dunning stands.
-- Due date: Stripe's due_date (send_invoice); an automatically charged invoice is due when finalized.
with invoices as (
    select * from {{ ref('stg_stripe__invoices') }}
),

subscriptions as (
    select * from {{ ref('fct_subscriptions') }}
),

months as (
    select * from {{ ref('int_months_to_horizon') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_by_month') }}
),

currencies as (
    select * from {{ ref('currencies') }}
),

horizon as (
    select month, horizon_at from months where is_horizon_month
),

open_invoices as (
    select
        invoices.*,
        coalesce(invoices.due_at, invoices.finalized_at, invoices.created_at) as effective_due_at,
        horizon.month as horizon_month,
        horizon.horizon_at
    from invoices
    cross join horizon
    where invoices.status = 'open' and coalesce(invoices.amount_remaining_minor, 0) > 0
),

aged as (
    select
        *,
        cast(case
            when effective_due_at >= horizon_at then 0
            else {{ dbt.datediff('effective_due_at', 'horizon_at', 'day') }}
        end as bigint) as days_overdue
    from open_invoices
),

final as (
    select
        aged.invoice_id,
        aged.invoice_number,
        aged.customer_id,
        aged.subscription_id,
        subscriptions.status as subscription_status,
        aged.collection_method,
        aged.billing_reason,
        aged.created_at,
        aged.effective_due_at as due_at,
        cast(aged.effective_due_at as date) as due_date,
        aged.days_overdue,
        case
            when aged.effective_due_at >= aged.horizon_at then 'current'
            when aged.days_overdue <= 30 then '1-30'
            when aged.days_overdue <= 60 then '31-60'
            when aged.days_overdue <= 90 then '61-90'
            else '90+'
        end as ageing_bucket,
        case
            when aged.collection_method = 'charge_automatically' and aged.next_payment_attempt_at is not null
                then 'retrying'
            when aged.collection_method = 'charge_automatically' then 'retries_exhausted'
            when aged.effective_due_at >= aged.horizon_at then 'awaiting_payment'
            else 'overdue'
        end as dunning_status,
        cast(coalesce(aged.attempt_count, 0) as bigint) as attempt_count,
        aged.next_payment_attempt_at,
        aged.currency_code,
        aged.amount_due_minor,
        aged.amount_remaining_minor,
        {{ to_reporting_currency('aged.amount_remaining_minor', 'currencies.minor_unit_factor',
                                 'fx_rates.rate_to_reporting') }} as amount_remaining,
        aged.horizon_at as as_of_at
    from aged
    left join subscriptions on subscriptions.subscription_id = aged.subscription_id
    left join currencies on currencies.currency_code = aged.currency_code
    left join fx_rates
        on fx_rates.currency_code = aged.currency_code
        and fx_rates.month = aged.horizon_month
)

select * from final
