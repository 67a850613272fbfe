# Column widths for printing numbers in a table
def count_digits(n):
    return 1 + count_digits(n // 10)

values = [7, 42, 1234, 99999, 100000]
width = max(count_digits(v) for v in values)
print("Column width:", width)
for v in values:
    print(str(v).rjust(width), "|", count_digits(v), "digits")
total_digits = sum(count_digits(v) for v in values)
print("Total digits:", total_digits)
