# Digital root of ISBN-like numbers for quick bucketing
def digital_root(n):
    if n < 10:
        return n
    return digital_root(sum(int(d) for d in str(n)))

numbers = [9780306406157, 123456789, 38, 7]
buckets = {}
for number in numbers:
    root = digital_root(number)
    buckets.setdefault(root, []).append(number)
    print(f"{number} -> {root}")

print("Buckets used:", sorted(buckets))
