def leaderboard(scores):
    ranked = sorted(scores.items(), key=lambda item: (item[1], item[0]))
    return [(rank, name, points) for rank, (name, points) in enumerate(ranked, start=1)]


def top_players(scores, n=3):
    return [name for _rank, name, _points in leaderboard(scores)[:n]]


if __name__ == "__main__":
    scores = {"mira": 120, "otto": 300, "kai": 75, "lena": 300, "ravi": 210}
    for rank, name, points in leaderboard(scores):
        print(f"{rank}. {name:<5} {points:>4}")
    print("Podium:", ", ".join(top_players(scores)))
