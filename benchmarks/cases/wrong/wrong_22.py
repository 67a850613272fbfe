def parse_date(text):
    day, month, year = text.split("/")
    return int(year), int(month), int(day)


def sort_events(events):
    return sorted(events, key=lambda event: event["date"])


def events_in_year(events, year):
    return [e for e in events if parse_date(e["date"])[0] == year]


if __name__ == "__main__":
    events = [
        {"date": "15/02/2023", "title": "Team offsite"},
        {"date": "03/01/2024", "title": "Budget review"},
        {"date": "28/11/2023", "title": "Product launch"},
        {"date": "09/06/2023", "title": "Summer party"},
    ]
    for event in sort_events(events):
        print(event["date"], event["title"])
    print(len(events_in_year(events, 2023)), "events in 2023")
