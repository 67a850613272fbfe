WEATHER = """date,city,temp_c,humidity
2024-01-01,Oslo,3,81
2024-01-02,Oslo,5,77
2024-01-03,Oslo,4,85
2024-01-01,Rome,12,60
2024-01-02,Rome,14,55
"""


def parse_rows(text):
    lines = text.strip().splitlines()
    return [line.split(",") for line in lines[1:]]


def average_temperature(text, city):
    temps = [float(row[3]) for row in parse_rows(text) if row[1] == city]
    if not temps:
        return None
    return round(sum(temps) / len(temps), 1)


if __name__ == "__main__":
    for city in ["Oslo", "Rome", "Lima"]:
        avg = average_temperature(WEATHER, city)
        label = "no data" if avg is None else f"{avg} C"
        print(f"{city}: {label}")
