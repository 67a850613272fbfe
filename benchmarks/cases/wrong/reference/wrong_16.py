def moving_average(values, window):
    averages = []
    for i in range(len(values) - window + 1):
        chunk = values[i:i + window]
        averages.append(round(sum(chunk) / window, 2))
    return averages


def trend(values, window=3):
    smoothed = moving_average(values, window)
    if len(smoothed) < 2:
        return "flat"
    return "up" if smoothed[-1] > smoothed[0] else "down"


if __name__ == "__main__":
    daily_visits = [120, 135, 128, 150, 162, 158, 171]
    print("3-day average:", moving_average(daily_visits, 3))
    print("Trend:", trend(daily_visits))
