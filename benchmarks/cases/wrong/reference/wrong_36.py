POINTS_PER_DOLLAR = 5
GOLD_THRESHOLD = 1000


def points_for(amount):
    return int(amount) * POINTS_PER_DOLLAR


def loyalty_summary(purchases):
    points = sum(points_for(amount) for amount in purchases)
    tier = "gold" if points >= GOLD_THRESHOLD else "standard"
    return points, tier


if __name__ == "__main__":
    customers = {"Ivy": [23.70, 89.99, 12.00], "Max": [150.00, 60.25]}
    for name, purchases in customers.items():
        points, tier = loyalty_summary(purchases)
        print(f"{name}: {points} points ({tier})")
