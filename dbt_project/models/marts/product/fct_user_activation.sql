-- grain: one row per user (Segment userId), from signup to activation, conversion and retention.
-- Milestones and activation come from int_user_milestones_reached (configured in the
-- `activation_milestones` var); billing outcomes are the account's, through its Stripe customer.
-- Outcomes that need time to be known are NULL until the data horizon has passed their window.
with signups as (
    select * from {{ ref('int_user_signups') }}
),

milestones as (
    select * from {{ ref('int_user_milestones_reached') }}
),

onboarding_steps as (
    select * from {{ ref('int_user_onboarding_steps') }}
),

exposures as (
    select * from {{ ref('int_experiment_exposures') }}
    where experiment_id = {{ sql_string(var('onboarding_experiment_id')) }} and not has_conflicting_exposures
),

activity as (
    select * from {{ ref('int_user_activity_since_signup') }}
),

horizon as (
    select * from {{ ref('int_product_horizon') }}
),

subscriptions as (
    select * from {{ ref('fct_subscriptions') }}
),

plans as (
    select * from {{ ref('dim_plans') }}
),

invoices as (
    select * from {{ ref('stg_stripe__invoices') }}
),

{%- set milestones_config = activation_milestones() %}

milestone_times as (
    select
        user_id,
        {%- for name in ['activated', 'setup', 'aha', 'habit'] %}
        max(case when milestone = '{{ name }}' then reached_at end) as {{ name }}_at{{ ',' if not loop.last }}
        {%- endfor %}
    from milestones
    group by user_id
),

onboarding as (
    select
        user_id,
        min(funnel_started_at) as onboarding_started_at,
        max(step_number) as onboarding_steps_completed,
        max(case when step_number = {{ onboarding_funnel()['steps'] | length }} then reached_at end)
            as onboarding_completed_at
    from onboarding_steps
    group by user_id
),

first_subscription as (
    select
        subscriptions.customer_id,
        subscriptions.has_trial,
        subscriptions.trial_end_at,
        case
            when subscriptions.has_trial
                then {{ trial_outcome('subscriptions.trial_converted_at', 'subscriptions.status') }}
        end as trial_outcome,
        plans.product_name as first_plan,
        row_number() over (
            partition by subscriptions.customer_id order by subscriptions.created_at, subscriptions.subscription_id
        ) as subscription_rank
    from subscriptions
    left join plans on subscriptions.price_id = plans.price_id
),

first_paid as (
    select
        subscriptions.customer_id,
        subscriptions.first_paid_at,
        plans.recurring_interval,
        plans.interval_count,
        row_number() over (
            partition by subscriptions.customer_id order by subscriptions.first_paid_at, subscriptions.subscription_id
        ) as paid_rank
    from subscriptions
    left join plans on subscriptions.price_id = plans.price_id
    where subscriptions.first_paid_at is not null
),

paid_period_invoices as (
    select
        customer_id,
        count(*) as paid_period_invoices
    from invoices
    where status = 'paid'
        and amount_paid_minor > 0
        and billing_reason in ('subscription_create', 'subscription_cycle')
    group by customer_id
),

billing as (
    select
        first_paid.customer_id,
        first_paid.first_paid_at,
        case first_paid.recurring_interval
            when 'year' then {{ dbt.dateadd('month', '12 * first_paid.interval_count', 'first_paid.first_paid_at') }}
            when 'month' then {{ dbt.dateadd('month', 'first_paid.interval_count', 'first_paid.first_paid_at') }}
            when 'week' then {{ dbt.dateadd('day', '7 * first_paid.interval_count', 'first_paid.first_paid_at') }}
            when 'day' then {{ dbt.dateadd('day', 'first_paid.interval_count', 'first_paid.first_paid_at') }}
        end as first_renewal_due_at,
        coalesce(paid_period_invoices.paid_period_invoices, 0) >= 2 as has_paid_renewal
    from first_paid
    left join paid_period_invoices on first_paid.customer_id = paid_period_invoices.customer_id
    where first_paid.paid_rank = 1
),

joined as (
    select
        signups.*,
        exposures.variant as onboarding_variant,
        onboarding.onboarding_started_at,
        onboarding.onboarding_completed_at,
        coalesce(onboarding.onboarding_steps_completed, 0) as onboarding_steps_completed,
        milestone_times.setup_at,
        milestone_times.aha_at,
        milestone_times.habit_at,
        milestone_times.activated_at,
        {{ dbt.dateadd('day', milestones_config['activated']['window_days'], 'signups.signed_up_at') }}
            as activation_window_ends_at,
        activity.active_week_of_day_30,
        activity.active_week_of_day_60,
        activity.active_week_of_day_90,
        coalesce(activity.active_days_first_30, 0) as active_days_first_30,
        activity.last_active_date,
        first_subscription.first_plan,
        first_subscription.has_trial,
        first_subscription.trial_end_at,
        first_subscription.trial_outcome,
        billing.first_paid_at,
        billing.first_renewal_due_at,
        billing.has_paid_renewal,
        horizon.horizon_at,
        horizon.horizon_date
    from signups
    cross join horizon
    left join exposures on signups.user_id = exposures.user_id
    left join onboarding on signups.user_id = onboarding.user_id
    left join milestone_times on signups.user_id = milestone_times.user_id
    left join activity on signups.user_id = activity.user_id
    left join first_subscription
        on signups.customer_id = first_subscription.customer_id and first_subscription.subscription_rank = 1
    left join billing on signups.customer_id = billing.customer_id
),

final as (
    select
        user_id,
        account_id,
        customer_id,
        persona,
        company_size,
        channel,
        invite_id is not null as is_invited,
        signed_up_at,
        signup_date,
        cast({{ dbt.date_trunc('week', 'signup_date') }} as date) as signup_week,
        cast({{ dbt.date_trunc('month', 'signup_date') }} as date) as signup_month,
        onboarding_variant,
        onboarding_started_at,
        onboarding_completed_at,
        onboarding_steps_completed,
        onboarding_completed_at is not null as is_onboarding_completed,
        setup_at,
        aha_at,
        habit_at,
        activated_at,
        activated_at is not null as is_activated,
        {{ seconds_as_hours(dbt.datediff('signed_up_at', 'activated_at', 'second')) }} as hours_to_value,
        coalesce(
            activated_at < {{ dbt.dateadd('hour', positive_int(var('early_activation_hours'), 'early_activation_hours'), 'signed_up_at') }}, false
        ) as is_activated_early,
        activation_window_ends_at,
        activation_window_ends_at <= horizon_at as is_activation_window_complete,
        first_plan,
        coalesce(has_trial, false) as has_trial,
        trial_end_at,
        trial_outcome,
        first_paid_at as converted_to_paid_at,
        first_paid_at is not null as is_converted_to_paid,
        case
            when first_renewal_due_at <= horizon_at then has_paid_renewal
        end as is_renewed,
        {%- for n in [30, 60, 90] %}
        case
            when {{ dbt.dateadd('day', n + 6, 'signup_date') }} <= horizon_date then coalesce(active_week_of_day_{{ n }}, 0) = 1
        end as is_retained_day_{{ n }},
        {%- endfor %}
        active_days_first_30,
        last_active_date
    from joined
)

select * from final
