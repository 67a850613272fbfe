# Find pairs of products that fit a budget
prices = {"lamp": 35, "chair": 60, "rug": 80, "shelf": 45, "clock": 20}
budget = 100

pairs = []
for a, b in itertools.combinations(sorted(prices), 2):
    cost = prices[a] + prices[b]
    if cost <= budget:
        pairs.append((cost, a, b))

pairs.sort()
print("Affordable pairs:", len(pairs))
for cost, a, b in pairs[:3]:
    print(f"{a} + {b} = {cost}")
