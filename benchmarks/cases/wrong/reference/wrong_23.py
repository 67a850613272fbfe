def compound(principal, annual_rate, years, periods_per_year=12):
    rate = annual_rate / periods_per_year
    periods = years * periods_per_year
    return round(principal * (1 + rate) ** periods, 2)


def growth_table(principal, annual_rate, years):
    return [(year, compound(principal, annual_rate, year)) for year in range(1, years + 1)]


if __name__ == "__main__":
    for year, balance in growth_table(1000, 0.06, 5):
        print(f"Year {year}: {balance:10.2f}")
    print("Yearly compounding, 5 years:", compound(1000, 0.06, 5, periods_per_year=1))
