# Number of ways to climb a staircase taking 1 or 2 steps at a time
memo = {}

def ways(steps):
    if steps in memo:
        return memo[steps]
    memo[steps] = ways(steps - 1) + ways(steps - 2)
    return memo[steps]

for staircase in (1, 2, 3, 10, 30):
    print(f"{staircase} steps: {ways(staircase)} ways")
