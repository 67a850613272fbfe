# Temperature log summary
temps = [18, 21, 25, 19, 23, 27, 22]
days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

hottest = max(temps)
hottest_day = days[temps.index(hottest)]
coldest = min(temps)

print("Hottest: " + hottest_day + " at " + hottest + " C")
print("Coldest: " + str(coldest) + " C")
print("Spread: " + str(hottest - coldest) + " degrees")
