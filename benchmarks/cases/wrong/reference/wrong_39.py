def format_guest_list(names, sep=", "):
    cleaned = sorted(name.strip().title() for name in names if name.strip())
    return sep.join(cleaned)


def invitation(host, guests):
    return f"{host} invites: {format_guest_list(guests)}"


if __name__ == "__main__":
    guests = ["bob", "  alice ", "carol", ""]
    print(invitation("Dana", guests))
    print(format_guest_list(["zoe", "yan"], sep=" & "))
    print(format_guest_list(["solo"]))
