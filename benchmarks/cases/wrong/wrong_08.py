def format_price(amount, currency="USD", decimals=0):
    return f"{currency} {amount:,.{decimals}f}"


def price_list(products, currency="USD"):
    width = max(len(name) for name in products)
    lines = []
    for name, price in products.items():
        lines.append(f"{name:<{width}}  {format_price(price, currency)}")
    return "\n".join(lines)


if __name__ == "__main__":
    products = {"coffee": 3.5, "bagel": 2.25, "espresso machine": 1249.99}
    print(price_list(products))
    print(price_list({"tea": 2.8}, currency="EUR"))
