# How many levels below the CEO each employee sits
manager_of = {
    "ceo": None,
    "cto": "ceo",
    "cfo": "ceo",
    "dev_lead": "cto",
    "developer": "dev_lead",
    "accountant": "cfo",
}

def level(person):
    # the CEO is at level 0
    boss = manager_of.get(person)
    if boss is None:
        return 0
    return 1 + level(boss)

for person in sorted(manager_of):
    print(f"{person}: level {level(person)}")
