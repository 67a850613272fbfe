def page_count(total_items, per_page):
    return (total_items + per_page - 1) // per_page


def page_items(items, page, per_page=10):
    start = page * per_page
    end = start + per_page
    return items[start:end]


def render_page(items, page, per_page=10):
    pages = page_count(len(items), per_page)
    shown = page_items(items, page, per_page)
    return f"Page {page}/{pages}: " + ", ".join(str(x) for x in shown)


if __name__ == "__main__":
    results = [f"result-{i}" for i in range(1, 24)]
    for page in range(1, page_count(len(results), 10) + 1):
        print(render_page(results, page))
