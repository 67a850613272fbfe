# Greet users with their account age
users = [("lena", 2019), ("marco", 2023), ("sasha", 2015)]
CURRENT_YEAR = 2024

def greeting(name, joined):
    years = CURRENT_YEAR - joined
    unit = "year" if years == 1 else "years"
    return "Welcome back, " + name.title() + "! Member for " + str(years) + " " + unit + "."

for name, joined in users:
    print(greeting(name, joined))
