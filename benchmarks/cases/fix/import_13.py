# Format a notice for a fixed-width terminal
notice = (
    "The building will be closed on Saturday for maintenance of the "
    "heating system. Please take your belongings home on Friday."
)

lines = textwrap.wrap(notice, width=30)
print("+" + "-" * 32 + "+")
for line in lines:
    print("| " + line.ljust(30) + " |")
print("+" + "-" * 32 + "+")
