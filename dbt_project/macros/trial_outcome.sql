{#- THE outcome of a subscription's trial (fct_subscriptions columns): converted once it first became
    active on a paid price; not_converted when it ended (canceled, expired, unpaid) without that; else
    in_progress. trial_conversion and fct_user_activation both use it. -#}
{% macro trial_outcome(trial_converted_at, status) -%}
    case
        when {{ trial_converted_at }} is not null then 'converted'
        when {{ status }} in ('canceled', 'incomplete_expired', 'unpaid') then 'not_converted'
        else 'in_progress'
    end
{%- endmacro %}
