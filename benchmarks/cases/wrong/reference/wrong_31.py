def minutes_to_hours(minutes):
    return minutes / 60


def billable_amount(entries, hourly_rate):
    total_minutes = sum(minutes for _task, minutes in entries)
    return round(minutes_to_hours(total_minutes) * hourly_rate, 2)


def summary(entries, hourly_rate):
    lines = [f"{task:<12} {minutes_to_hours(m):5.2f} h" for task, m in entries]
    lines.append(f"{'Total due':<12} {billable_amount(entries, hourly_rate):8.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    timesheet = [("design", 90), ("meeting", 45), ("coding", 150)]
    print(summary(timesheet, 50.00))
