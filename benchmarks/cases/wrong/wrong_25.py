import csv
import io

PEOPLE = """name,age
Ana,34
Ben,9
Cleo,100
Dev,18
Eli,17
"""


def parse_people(text):
    return list(csv.DictReader(io.StringIO(text)))


def adults(people, min_age=18):
    return [p["name"] for p in people if p["age"] >= str(min_age)]


if __name__ == "__main__":
    people = parse_people(PEOPLE)
    grown = adults(people)
    print("Adults:", ", ".join(grown))
    print("Minors:", ", ".join(p["name"] for p in people if p["name"] not in grown))
