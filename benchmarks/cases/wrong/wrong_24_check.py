from wrong_24 import validate_all, validate_record

assert validate_record({"name": "", "age": -1}) == ["missing name", "invalid age"]
assert validate_record({"name": "Ann", "age": 30}) == []
assert validate_record({"name": "Bo", "email": "bo"}) == ["invalid age", "invalid email"]
assert validate_all([{"name": "A", "age": 1}, {"name": "B", "age": 2}]) == {0: [], 1: []}
