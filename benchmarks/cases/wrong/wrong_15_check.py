from wrong_15 import best_customer, customer_totals

orders = [
    ("alice", [("book", 12.50), ("pen", 1.20)]),
    ("bob", [("lamp", 30.00)]),
    ("alice", [("mug", 7.50)]),
]
assert customer_totals(orders) == {"alice": 21.2, "bob": 30.0}
assert customer_totals([("c", [("x", 1.0), ("y", 2.0)])]) == {"c": 3.0}
assert best_customer(orders) == "bob"
assert customer_totals([]) == {}
