# Count dice sums over all pairs of faces
sum_counts = {}
for first in range(1, 7):
    for second in range(1, 7):
        total = first + second
        sum_counts[total] = sum_counts.get(total, 0) + 1

most_likely = max(sum_counts, key=sum_counts.get)
print("Possible sums:", len(sum_counts))
print("Most likely sum:", most_likely)
print("Ways to roll 7:", sum_counts[7])
print("Ways to roll 12:", sum_counts[12])
