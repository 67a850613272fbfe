def warmest(readings):
    best = 0
    for value in readings:
        if value > best:
            best = value
    return best


def coldest(readings):
    low = readings[0]
    for value in readings[1:]:
        if value < low:
            low = value
    return low


def weekly_summary(readings):
    high, low = warmest(readings), coldest(readings)
    return {"high": high, "low": low, "range": high - low}


if __name__ == "__main__":
    winter_week = [-5, -2, -9, -7, -3, -11, -4]
    summer_week = [21, 25, 19, 28, 30, 27, 24]
    for label, week in [("winter", winter_week), ("summer", summer_week)]:
        print(label, weekly_summary(week))
