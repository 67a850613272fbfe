# Collatz sequence lengths for a maths club exercise
def collatz_steps(n):
    # number of steps needed to reach 1
    if n == 1:
        return 0
    if n % 2 == 0:
        return 1 + collatz_steps(n // 2)
    return 1 + collatz_steps(3 * n + 1)

for start in (6, 7, 27):
    print(f"{start}: {collatz_steps(start)} steps")

longest = max(range(1, 100), key=collatz_steps)
print("Longest below 100:", longest, "with", collatz_steps(longest), "steps")
