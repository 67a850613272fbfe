from wrong_28 import normalize_email, unique_emails

signups = ["ann@example.com", " bob@example.com", "Ann@Example.com", "bob@example.com ", "cy@example.org"]
assert unique_emails(signups) == ["ann@example.com", "bob@example.com", "cy@example.org"]
assert normalize_email(" Bob@Example.com\n") == "bob@example.com"
assert unique_emails(["  ", "a@b.c"]) == ["a@b.c"]
