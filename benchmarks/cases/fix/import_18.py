# Add up recipe measurements exactly
cups = ["1/2", "3/4", "1/3", "1/6"]

total = Fraction(0)
for amount in cups:
    total += Fraction(amount)

print("Total cups:", total)
print("As a mixed number:", total.numerator // total.denominator, "and", total - total.numerator // total.denominator)
print("Fits in a 2 cup bowl:", total <= 2)
