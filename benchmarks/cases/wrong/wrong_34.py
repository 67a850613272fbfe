RATES = {"USD": 1.10, "GBP": 0.85, "JPY": 162.0}


def convert_all(amounts, rate):
    converted = []
    for amount in amounts:
        rate = round(amount * rate, 2)
        converted.append(rate)
    return converted


def conversion_report(amounts, currency):
    values = convert_all(amounts, RATES[currency])
    return [f"{a:8.2f} EUR = {v:10.2f} {currency}" for a, v in zip(amounts, values)]


if __name__ == "__main__":
    for currency in ["USD", "GBP"]:
        for line in conversion_report([10, 20, 30], currency):
            print(line)
