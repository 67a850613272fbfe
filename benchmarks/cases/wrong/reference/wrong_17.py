CATEGORY_DISCOUNTS = {"books": 10, "toys": 25, "food": 0}


def sale_price(price, discount_percent):
    return round(price * (1 - discount_percent / 100), 2)


def cart_total(cart):
    total = 0.0
    for name, category, price in cart:
        total += sale_price(price, CATEGORY_DISCOUNTS.get(category, 0))
    return round(total, 2)


if __name__ == "__main__":
    cart = [("novel", "books", 18.00), ("robot", "toys", 40.00), ("bread", "food", 3.20)]
    for name, category, price in cart:
        pct = CATEGORY_DISCOUNTS.get(category, 0)
        print(f"{name:<6} {price:6.2f} -{pct:>2}% -> {sale_price(price, pct):6.2f}")
    print(f"Total: {cart_total(cart):.2f}")
