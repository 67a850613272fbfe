def vote_shares(counts):
    total = sum(counts.values())
    if total == 0:
        return {option: 0.0 for option in counts}
    return {option: round(count * 100 / total, 1) for option, count in counts.items()}


def results_table(counts):
    shares = vote_shares(counts)
    ordered = sorted(counts, key=lambda option: -counts[option])
    return [f"{option:<8} {counts[option]:>4} {shares[option]:>6}%" for option in ordered]


if __name__ == "__main__":
    survey = {"yes": 41, "no": 23, "unsure": 9}
    for row in results_table(survey):
        print(row)
