# Goals scored per player over a season
matches = [
    ["ines", "omar"],
    ["omar"],
    ["ines", "ines", "yuki"],
    [],
    ["yuki", "omar", "omar"],
]

goals = {}
for scorers in matches:
    for player in scorers:
        goals[player] = goals.get(player, 0) + 1

for player in sorted(goals, key=lambda p: (-goals[p], p)):
    print(f"{player}: {goals[player]}")
print("Matches without goals:", sum(1 for m in matches if not m))
