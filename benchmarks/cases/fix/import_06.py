# Deterministic simulation of dice rolls
random.seed(42)

rolls = [random.randint(1, 6) for _ in range(1000)]
counts = [rolls.count(face) for face in range(1, 7)]

print("Total rolls:", len(rolls))
print("Sum of rolls:", sum(rolls))
print("Most common face:", counts.index(max(counts)) + 1)
print("All faces seen:", all(c > 0 for c in counts))
