# Countdown messages for a rocket launch
def countdown_messages(start):
    messages = []
    for t in range(start, 0, -1):
        messages.append("T-minus " + str(t))
    messages.append("Liftoff!")
    return messages

for message in countdown_messages(5):
    print(message)
