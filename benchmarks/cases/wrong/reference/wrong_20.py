REGULAR_HOURS = 40
OVERTIME_MULTIPLIER = 1.5


def weekly_pay(hours, hourly_rate):
    regular = min(hours, REGULAR_HOURS)
    overtime = max(hours - REGULAR_HOURS, 0)
    return round(regular * hourly_rate + overtime * hourly_rate * OVERTIME_MULTIPLIER, 2)


def payroll(timesheets, rates):
    return {name: weekly_pay(hours, rates[name]) for name, hours in timesheets.items()}


if __name__ == "__main__":
    timesheets = {"Jon": 45, "Kim": 38, "Lu": 50}
    rates = {"Jon": 20.00, "Kim": 18.50, "Lu": 22.00}
    for name, pay in payroll(timesheets, rates).items():
        print(f"{name:<4} {timesheets[name]:>3} h  {pay:8.2f}")
