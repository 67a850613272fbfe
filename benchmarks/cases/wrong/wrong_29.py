def tally(votes, candidates):
    counts = {candidate: 1 for candidate in candidates}
    for vote in votes:
        if vote in counts:
            counts[vote] += 1
    return counts


def winner(votes, candidates):
    counts = tally(votes, candidates)
    return max(candidates, key=lambda c: counts[c])


if __name__ == "__main__":
    candidates = ["Ada", "Bram", "Chen"]
    ballots = ["Ada", "Chen", "Ada", "Bram", "Ada", "Chen", "Zed"]
    for name, count in tally(ballots, candidates).items():
        print(f"{name:<5} {count}")
    print("Winner:", winner(ballots, candidates))
