# How many different teams can be picked from a squad
def choose(n, k):
    if k == 0 or k == n:
        return 1
    return choose(n - 1, k - 1) + choose(n - 1, k)

squad_size = 10
for team_size in (1, 2, 5, 10):
    print(f"Teams of {team_size} from {squad_size}: {choose(squad_size, team_size)}")

row = [choose(6, k) for k in range(7)]
print("Row 6 of Pascal's triangle:", row)
