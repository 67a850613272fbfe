from wrong_25 import PEOPLE, adults, parse_people

assert adults(parse_people(PEOPLE)) == ["Ana", "Cleo", "Dev"]
assert adults([{"name": "x", "age": "7"}, {"name": "y", "age": "65"}]) == ["y"]
assert adults([{"name": "z", "age": "21"}], min_age=21) == ["z"]
assert adults([{"name": "w", "age": "5"}], min_age=10) == []
