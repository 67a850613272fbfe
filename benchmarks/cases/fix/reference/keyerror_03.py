# Tally votes in a club election
ballots = ["maria", "tom", "maria", "lena", "tom", "maria", "lena", "maria", "tom"]

votes = {}
for candidate in ballots:
    votes[candidate] = votes.get(candidate, 0) + 1

ranking = sorted(votes.items(), key=lambda kv: kv[1], reverse=True)
for candidate, n in ranking:
    print(f"{candidate}: {n} votes")
winner = ranking[0][0]
print("Winner:", winner)
print("Turnout:", sum(votes.values()))
