{#- Turning the activation / funnel configuration (dbt_project.yml vars) into SQL.
    Values from the config become SQL string literals (quotes escaped); property names become JSON
    paths, so they must be plain identifiers. A malformed entry stops compilation with a message
    naming the var and the entry. -#}

{% macro sql_string(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{#- True for track events (columns `event_name`, `properties`) that match one config entry:
    {event: <name or "*">, where: {<property>: <value>, ...}}. -#}
{% macro event_matches(spec, var_name) -%}
    {%- set spec = event_spec(spec, var_name) -%}
    {%- set conditions = [] -%}
    {%- if spec['event'] != '*' -%}
        {%- do conditions.append('event_name = ' ~ sql_string(spec['event'])) -%}
    {%- endif -%}
    {%- for key, value in (spec.get('where') or {}).items() -%}
        {%- if not modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]*', key | string) -%}
            {{ exceptions.raise_compiler_error("var '" ~ var_name ~ "': property name " ~ key ~ " must be a plain identifier") }}
        {%- endif -%}
        {%- do conditions.append(json_str('properties', '$.' ~ key) ~ ' = ' ~ sql_string(value)) -%}
    {%- endfor -%}
    {{ '(' ~ (conditions | join(' and ') if conditions else 'true') ~ ')' }}
{%- endmacro %}

{#- One config entry that names a track event ({event, where}), checked. -#}
{% macro event_spec(spec, var_name) -%}
    {%- if spec is not mapping or 'event' not in spec -%}
        {{ exceptions.raise_compiler_error("var '" ~ var_name ~ "': each entry needs an `event`, got " ~ spec) }}
    {%- endif -%}
    {{ return(spec) }}
{%- endmacro %}

{#- The event names the lifecycle models match by name besides the configured ones: used where they
    are read (int_experiment_exposures, referrals_monthly) and listed by lifecycle_event_names, so
    int_lifecycle_calls holds what those models read. -#}
{% macro experiment_viewed_event() -%}
    {{ return('Experiment Viewed') }}
{%- endmacro %}

{% macro invite_sent_event() -%}
    {{ return('Invite Sent') }}
{%- endmacro %}

{#- A positive integer setting, checked. -#}
{% macro positive_int(value, what) -%}
    {%- if value is not number or value != value | int or value < 1 -%}
        {{ exceptions.raise_compiler_error(what ~ " must be a positive whole number, got " ~ value) }}
    {%- endif -%}
    {{ value | int }}
{%- endmacro %}

{#- The activation milestones, checked: {name: {window_days, criteria: [...]}}; `activated` required. -#}
{% macro activation_milestones() -%}
    {%- set milestones = var('activation_milestones') -%}
    {%- if milestones is not mapping or 'activated' not in milestones -%}
        {{ exceptions.raise_compiler_error("var 'activation_milestones' must be a mapping with an `activated` entry") }}
    {%- endif -%}
    {%- for name, milestone in milestones.items() -%}
        {%- if not modules.re.fullmatch('[a-z_][a-z0-9_]*', name | string) -%}
            {{ exceptions.raise_compiler_error("var 'activation_milestones': name " ~ name ~ " must be lowercase letters, digits and _") }}
        {%- endif -%}
        {%- if milestone is not mapping or not milestone.get('criteria') -%}
            {{ exceptions.raise_compiler_error("var 'activation_milestones." ~ name ~ "' needs `window_days` and a non-empty `criteria` list") }}
        {%- endif -%}
        {%- do positive_int(milestone.get('window_days'), "activation_milestones." ~ name ~ ".window_days") -%}
        {%- for criterion in milestone['criteria'] -%}
            {%- do positive_int(criterion.get('min_count', 1), "activation_milestones." ~ name ~ ".min_count") -%}
            {%- if criterion.get('count_by', 'event') not in ('event', 'day') -%}
                {{ exceptions.raise_compiler_error("var 'activation_milestones." ~ name ~ "': count_by must be event or day, got " ~ criterion.get('count_by')) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(milestones) }}
{%- endmacro %}

{#- The onboarding funnel steps, checked: [{step, event, where}] with unique step names. -#}
{% macro onboarding_funnel() -%}
    {%- set funnel = var('onboarding_funnel') -%}
    {%- if funnel is not mapping or not funnel.get('steps') -%}
        {{ exceptions.raise_compiler_error("var 'onboarding_funnel' needs `window_days` and a non-empty `steps` list") }}
    {%- endif -%}
    {%- do positive_int(funnel.get('window_days'), "onboarding_funnel.window_days") -%}
    {%- set names = funnel['steps'] | map(attribute='step') | list -%}
    {%- if names | unique | list | length != names | length or none in names -%}
        {{ exceptions.raise_compiler_error("var 'onboarding_funnel': every step needs a distinct `step` name") }}
    {%- endif -%}
    {{ return(funnel) }}
{%- endmacro %}

{#- The funnel's steps as rows (step_number, step_name), for joining names to step numbers. -#}
{% macro onboarding_step_names() -%}
    {%- for step in onboarding_funnel()['steps'] %}
    select {{ loop.index }} as step_number, {{ sql_string(step['step']) }} as step_name
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The track events the lifecycle models read (int_lifecycle_calls): the signup event, the events of
    the onboarding funnel's steps, Experiment Viewed (int_experiment_exposures) and Invite Sent
    (referrals_monthly), sorted; none when a funnel step matches any event ("*"). -#}
{% macro lifecycle_event_names() -%}
    {%- set names = [var('signup_event'), experiment_viewed_event(), invite_sent_event()] -%}
    {%- for step in onboarding_funnel()['steps'] -%}
        {%- if event_spec(step, 'onboarding_funnel.steps')['event'] == '*' -%}
            {{- return(none) -}}
        {%- endif -%}
        {%- do names.append(step['event'] | string) -%}
    {%- endfor -%}
    {{- return(names | map('string') | unique | sort | list) -}}
{%- endmacro %}
