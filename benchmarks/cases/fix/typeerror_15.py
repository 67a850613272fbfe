# Score keeper for a quiz night
teams = {"Owls": [3, 5, 4], "Foxes": [4, 4, 5], "Bears": [2, 5, 3]}

standings = []
for team, rounds in teams.items():
    standings.append((sum(rounds), team))
standings.sort(reverse=True)

place = 1
for points, team in standings:
    print(str(place) + ". " + team + " - " + points + " points")
    place += 1
