# Basic statistics of exam results
results = [72, 88, 95, 61, 79, 88, 54, 90]

def mean(values):
    return sum(values) / len(values)

def median(values):
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2 == 0:
        return (ordered[mid - 1] + ordered[mid]) / 2
    return ordered[mid]

passed = [r for r in results if r >= 60]
print("Mean:", round(mean(results), 2))
print("Median:", median(results))
print("Range:", max(results) - min(results))
print("Pass rate:", f"{len(pased)}/{len(results)}")
