from wrong_01 import invoice_subtotal, invoice_total

assert invoice_total([("widget", 3, 2.50), ("gadget", 1, 10.00)]) == 18.90
assert invoice_subtotal([("a", 2, 5.0)]) == 10.0
assert invoice_subtotal([]) == 0
assert invoice_total([("a", 4, 1.25), ("b", 1, 0.5)], tax_rate=0.0) == 5.5
