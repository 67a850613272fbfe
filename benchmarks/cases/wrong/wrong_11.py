DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def is_leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def day_of_year(date_text):
    parts = date_text.split("-")
    year = int(parts[0])
    month = int(parts[1])
    day = int(parts[1])
    days_before = sum(DAYS_IN_MONTH[:month - 1])
    if month > 2 and is_leap(year):
        days_before += 1
    return days_before + day


def days_left_in_year(date_text):
    year = int(date_text[:4])
    return (366 if is_leap(year) else 365) - day_of_year(date_text)


if __name__ == "__main__":
    for date in ["2023-03-15", "2024-03-01", "2023-12-31", "2024-07-04"]:
        print(date, day_of_year(date), days_left_in_year(date))
