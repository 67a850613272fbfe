# Student report card
student = "Priya"
marks = {"maths": 88, "physics": 79, "history": 92, "art": 85}

total = sum(marks.values())
best_subject = max(marks, key=marks.get)
average = total // len(marks)

print("Report for " + student)
print("Best subject: " + best_subject)
print("Total marks: " + str(total) + "/400")
print("Average: " + str(average))
