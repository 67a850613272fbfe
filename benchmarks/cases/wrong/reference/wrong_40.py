def surname(full_name):
    parts = full_name.split()
    if not parts:
        return ""
    return parts[-1] if len(parts) > 1 else parts[0]


def sort_by_surname(names):
    return sorted(names, key=lambda name: (surname(name).lower(), name.lower()))


def directory(names):
    return [f"{surname(n).upper()}, {n}" for n in sort_by_surname(names)]


if __name__ == "__main__":
    staff = ["Mary Ann Smith", "John Adams", "Li Wei", "Ana Maria de Souza", "Cher"]
    for entry in directory(staff):
        print(entry)
