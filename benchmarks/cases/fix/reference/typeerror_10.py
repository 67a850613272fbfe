# Generate invoice numbers
last_invoice = 1041
customers = ["ACME", "Globex", "Initech"]

invoices = []
for customer in customers:
    last_invoice += 1
    invoice_id = "INV-" + str(last_invoice)
    invoices.append((invoice_id, customer))

for invoice_id, customer in invoices:
    print(invoice_id + " -> " + customer)
print("Next free number: " + str(last_invoice + 1))
