def add_item(name, qty, cart=[]):
    cart.append((name, qty))
    return cart


def cart_count(cart):
    return sum(qty for _name, qty in cart)


def describe(owner, cart):
    items = ", ".join(f"{qty} x {name}" for name, qty in cart)
    return f"{owner}: {items} ({cart_count(cart)} items)"


if __name__ == "__main__":
    alice = add_item("apple", 3)
    alice = add_item("pear", 2, alice)
    bob = add_item("milk", 1)
    print(describe("Alice", alice))
    print(describe("Bob", bob))
