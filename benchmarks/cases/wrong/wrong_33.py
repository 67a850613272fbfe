def is_leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def leap_years(start, end):
    return [year for year in range(start, end) if is_leap(year)]


def count_leap_years(start, end):
    return len(leap_years(start, end))


if __name__ == "__main__":
    for start, end in [(2000, 2024), (1896, 1904), (2021, 2023)]:
        years = leap_years(start, end)
        print(f"{start}-{end}: {count_leap_years(start, end)} leap years {years}")
