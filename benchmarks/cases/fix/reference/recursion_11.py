# Tower of Hanoi: list the moves for a small puzzle
def hanoi(n, source, target, spare, moves):
    if n == 0:
        return
    hanoi(n - 1, source, spare, target, moves)
    moves.append(f"{source}->{target}")
    hanoi(n - 1, spare, target, source, moves)

moves = []
hanoi(3, "A", "C", "B", moves)
print("Moves for 3 disks:", len(moves))
print(" ".join(moves))

big = []
hanoi(10, "A", "C", "B", big)
print("Moves for 10 disks:", len(big))
