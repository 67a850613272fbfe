import csv
import io

PRODUCTS = """name,price
mouse,25.50
laptop,1200.00
cable,9.99
monitor,189.00
"""


def parse_products(text):
    return list(csv.DictReader(io.StringIO(text)))


def most_expensive(products):
    return max(products, key=lambda p: float(p["price"]))["name"]


def total_value(products):
    return round(sum(float(p["price"]) for p in products), 2)


if __name__ == "__main__":
    products = parse_products(PRODUCTS)
    print("Products:", len(products))
    print("Most expensive:", most_expensive(products))
    print("Total value:", total_value(products))
