# Shopping cart total with a discount
cart = [
    ("notebook", 3, 250),
    ("pen", 10, 120),
    ("backpack", 1, 4500),
]

def line_total(quantity, unit_price_cents):
    return quantity * unit_price_cents

subtotal_cents = 0
for item, qty, price in cart:
    subtotal_cents += line_total(qty, price)

discount_cents = subtotal_cent // 10 if subtotal_cents > 5000 else 0
total_cents = subtotal_cents - discount_cents
print(f"Subtotal: {subtotal_cents / 100:.2f}")
print(f"Discount: {discount_cents / 100:.2f}")
print(f"Total: {total_cents / 100:.2f}")
