# Library loans overdue report
loans = [
    {"title": "Dune", "borrower": "kim", "days_out": 25},
    {"title": "Emma", "borrower": "lee", "days_out": 9},
    {"title": "Ulysses", "borrower": "max", "days_out": 40},
    {"title": "Beloved", "borrower": "kim", "days_out": 15},
]
LOAN_PERIOD = 14
FINE_PER_DAY = 25  # cents

overdue = [loan for loan in loans if loan["days_out"] > LOAN_PERIOD]
total_fines = 0
for loan in overdue:
    fine = (loan["days_out"] - LOAN_PERIOD) * FINE_PER_DAY
    total_fines += fine
    print(f"{loan['title']} ({loan['borrower']}): fine {fine} cents")

print("Overdue books:", len(overdue))
print("Total fines:", total_fines, "cents")
