{#- THE MRR movement rule, compared in the customer's own currency so exchange rates never classify.
    previous/current: MRR at the previous and current month end; has_paid_before: any earlier month > 0.
    A customer back from zero is a reactivation, never new or expansion; a month at zero after a
    month at zero (a gap) has no movement. -#}
{% macro mrr_movement(previous, current, has_paid_before) -%}
    case
        when {{ current }} > 0 and coalesce({{ previous }}, 0) = 0 and not {{ has_paid_before }} then 'new'
        when {{ current }} > 0 and coalesce({{ previous }}, 0) = 0 then 'reactivation'
        when {{ current }} > 0 and {{ current }} > {{ previous }} then 'expansion'
        when {{ current }} > 0 and {{ current }} < {{ previous }} then 'contraction'
        when {{ current }} > 0 then 'retained'
        when coalesce({{ previous }}, 0) > 0 then 'churn'
    end
{%- endmacro %}
