from wrong_22 import sort_events

events = [
    {"date": "15/02/2023", "title": "Team offsite"},
    {"date": "03/01/2024", "title": "Budget review"},
    {"date": "28/11/2023", "title": "Product launch"},
    {"date": "09/06/2023", "title": "Summer party"},
]
assert [e["title"] for e in sort_events(events)] == ["Team offsite", "Summer party", "Product launch", "Budget review"]
assert [e["date"] for e in sort_events([{"date": "01/02/2020"}, {"date": "31/01/2020"}])] == ["31/01/2020", "01/02/2020"]
assert [e["date"] for e in sort_events([{"date": "05/05/2021"}, {"date": "10/05/2020"}, {"date": "01/12/2020"}])] == ["10/05/2020", "01/12/2020", "05/05/2021"]
