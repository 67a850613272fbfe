def customer_totals(orders):
    totals = {}
    for name, items in orders:
        amount = 0.0
        for name, price in items:
            amount += price
        totals[name] = round(totals.get(name, 0.0) + amount, 2)
    return totals


def best_customer(orders):
    totals = customer_totals(orders)
    return max(totals, key=totals.get)


if __name__ == "__main__":
    orders = [
        ("alice", [("book", 12.50), ("pen", 1.20)]),
        ("bob", [("lamp", 30.00)]),
        ("alice", [("mug", 7.50)]),
    ]
    for customer, total in customer_totals(orders).items():
        print(f"{customer:<6} {total:8.2f}")
    print("Best customer:", best_customer(orders))
