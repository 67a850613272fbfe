def validate_record(record, errors=None):
    if errors is None:
        errors = []
    if not record.get("name", "").strip():
        errors.append("missing name")
    age = record.get("age")
    if not isinstance(age, int) or age < 0:
        errors.append("invalid age")
    if "@" not in record.get("email", "@"):
        errors.append("invalid email")
    return errors


def validate_all(records):
    return {i: validate_record(r) for i, r in enumerate(records)}


if __name__ == "__main__":
    records = [
        {"name": "", "age": -3, "email": "x@example.com"},
        {"name": "Rosa", "age": 41, "email": "rosa@example.com"},
        {"name": "Tim", "age": 29, "email": "tim.example.com"},
    ]
    for index, errors in validate_all(records).items():
        print(index, "OK" if not errors else "; ".join(errors))
