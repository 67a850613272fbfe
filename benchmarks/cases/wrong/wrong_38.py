def median(values):
    ordered = list(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("median of empty data")
    mid = n // 2
    if n % 2 == 1:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def describe(values):
    return {"n": len(values), "mean": round(sum(values) / len(values), 2), "median": median(values)}


if __name__ == "__main__":
    response_times_ms = [120, 95, 310, 101, 99, 87, 450]
    print(describe(response_times_ms))
    print(describe([7, 1, 3, 9]))
