{{ config(severity='warn') }}
-- An invoice's total is its subtotal less its discounts plus its tax. Reported, not blocking: with
-- tax-inclusive prices the tax is already inside the subtotal and this does not hold by design.
select
    invoice_id,
    source_file,
    line_number,
    subtotal_minor,
    discount_minor,
    tax_minor,
    total_minor
from {{ ref('stg_stripe__invoices') }}
where total_minor <> subtotal_minor - discount_minor + tax_minor
