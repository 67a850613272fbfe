FREE_SHIPPING_FROM = 50.00
SHIPPING_FEE = 4.99


def shipping_cost(subtotal):
    if subtotal > FREE_SHIPPING_FROM:
        return 0.0
    return SHIPPING_FEE


def order_total(prices):
    subtotal = round(sum(prices), 2)
    return round(subtotal + shipping_cost(subtotal), 2)


if __name__ == "__main__":
    baskets = [[20.00, 30.00], [12.50, 9.99], [75.00]]
    for basket in baskets:
        sub = round(sum(basket), 2)
        print(f"subtotal {sub:6.2f}  shipping {shipping_cost(sub):4.2f}  total {order_total(basket):6.2f}")
