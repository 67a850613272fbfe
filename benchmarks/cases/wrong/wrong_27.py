def parse_offset(text):
    sign = -1 if text.startswith("-") else 1
    hours, minutes = text.lstrip("+-").split(":")
    return sign * (int(hours) * 60 + int(minutes))


def to_utc(local_time, offset):
    hours, minutes = map(int, local_time.split(":"))
    total = hours * 60 + minutes + parse_offset(offset)
    total %= 24 * 60
    return f"{total // 60:02d}:{total % 60:02d}"


if __name__ == "__main__":
    meetings = [("Mumbai", "14:00", "+05:30"), ("New York", "23:30", "-05:00"), ("Berlin", "00:15", "+01:00")]
    for city, local, offset in meetings:
        print(f"{city:<9} {local} (UTC{offset}) = {to_utc(local, offset)} UTC")
