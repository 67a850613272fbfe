def needs_reorder(quantity, reorder_level):
    return quantity <= reorder_level


def reorder_list(inventory):
    result = []
    for sku, (quantity, level, batch) in sorted(inventory.items()):
        if needs_reorder(quantity, level):
            result.append((sku, batch))
    return result


if __name__ == "__main__":
    inventory = {
        "bolt-m6": (5, 5, 200),
        "nut-m6": (3, 10, 500),
        "washer": (40, 20, 1000),
        "screw-4x30": (0, 15, 250),
    }
    for sku, batch in reorder_list(inventory):
        print(f"Reorder {batch} x {sku}")
