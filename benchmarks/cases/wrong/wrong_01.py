TAX_RATE = 0.08


def invoice_subtotal(lines):
    subtotal = 0.0
    for name, qty, unit_price in lines:
        subtotal += unit_price
    return round(subtotal, 2)


def invoice_total(lines, tax_rate=TAX_RATE):
    subtotal = invoice_subtotal(lines)
    return round(subtotal * (1 + tax_rate), 2)


if __name__ == "__main__":
    items = [("widget", 3, 2.50), ("gadget", 1, 10.00), ("cable", 2, 4.25)]
    for name, qty, price in items:
        print(f"{name:<8} {qty:>3} x {price:>6.2f}")
    print(f"Subtotal: {invoice_subtotal(items):.2f}")
    print(f"Total incl. tax: {invoice_total(items):.2f}")
