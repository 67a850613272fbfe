# Hotel room availability
rooms = {101: "free", 102: "booked", 103: "free", 201: "booked", 202: "free"}

free_rooms = [number for number, state in rooms.items() if state == "free"]
message = "Free rooms: " + ", ".join(str(n) for n in free_rooms)
print(message)

occupancy = (len(rooms) - len(free_rooms)) * 100 // len(rooms)
print("Occupancy: " + str(occupancy) + "%")
print("First free room: " + str(free_rooms[0]))
