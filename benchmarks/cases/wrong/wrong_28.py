def normalize_email(address):
    return address.lower()


def unique_emails(addresses):
    seen = set()
    result = []
    for address in addresses:
        key = normalize_email(address)
        if key and key not in seen:
            seen.add(key)
            result.append(key)
    return result


if __name__ == "__main__":
    signups = ["ann@example.com", " bob@example.com", "Ann@Example.com", "bob@example.com ", "cy@example.org"]
    subscribers = unique_emails(signups)
    print(len(subscribers), "unique subscribers")
    for address in subscribers:
        print(" -", address)
