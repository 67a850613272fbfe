import re

UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}


def to_seconds(duration):
    total = 0
    for amount, unit in re.findall(r"(\d+)([hms])", duration):
        total += int(amount) * UNIT_SECONDS[unit]
    return total


def format_seconds(seconds):
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}"


if __name__ == "__main__":
    for text in ["1h30m", "45s", "2h5m10s", "90m"]:
        secs = to_seconds(text)
        print(f"{text:>8} = {secs:>5} s = {format_seconds(secs)}")
