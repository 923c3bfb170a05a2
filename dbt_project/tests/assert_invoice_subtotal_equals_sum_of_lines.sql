-- An invoice's subtotal is the sum of its line amounts (Stripe's own invariant; prorations are lines
-- too). Checked on each invoice's latest state whenever the event carried the whole list of lines
-- (`lines.has_more` false). Returns the invoices that do not add up.
select
    invoice_id,
    source_file,
    line_number,
    subtotal_minor,
    lines_amount_minor
from {{ ref('stg_stripe__invoices') }}
where is_lines_list_complete
    and lines_amount_minor is not null
    and subtotal_minor <> lines_amount_minor
