def tip_amount(bill, percent):
    return int(bill * percent / 100 * 100) / 100


def split_bill(bill, percent, people):
    tip = tip_amount(bill, percent)
    total = round(bill + tip, 2)
    return tip, total, round(total / people, 2)


if __name__ == "__main__":
    for bill, percent, people in [(10.99, 15, 1), (86.40, 18, 3), (33.33, 18, 2)]:
        tip, total, each = split_bill(bill, percent, people)
        print(f"bill {bill:6.2f}  tip {tip:5.2f}  total {total:6.2f}  each {each:6.2f}")
