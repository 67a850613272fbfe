YES_ANSWERS = ("yes", "y")


def is_yes(answer):
    return answer.strip().lower() in YES_ANSWERS


def count_answers(answers):
    yes = sum(1 for a in answers if is_yes(a))
    return {"yes": yes, "no": len(answers) - yes}


if __name__ == "__main__":
    responses = ["yes", "Yes", " no", "Y", "NO", "yes "]
    result = count_answers(responses)
    print(f"yes: {result['yes']}  no: {result['no']}")
    print(f"share yes: {result['yes'] / len(responses):.0%}")
