# Show permission flags as binary strings
def to_binary(n):
    return to_binary(n // 2) + str(n % 2)

permissions = {"read": 4, "write": 2, "execute": 1, "all": 7, "mask": 493}
for name in ["read", "write", "execute", "all", "mask"]:
    value = permissions[name]
    print(f"{name:>8}: {value:>3} -> {to_binary(value)}")

widest = max(len(to_binary(v)) for v in permissions.values())
print("Bits needed:", widest)
