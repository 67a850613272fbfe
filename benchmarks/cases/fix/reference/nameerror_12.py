# Matrix helpers
def transpose(matrix):
    return [list(row) for row in zip(*matrix)]

def multiply(a, b):
    b_t = transpose(b)
    return [[sum(x * y for x, y in zip(row, col)) for col in b_t] for row in a]

a = [[1, 2], [3, 4]]
b = [[5, 6], [7, 8]]
identity = [[1, 0], [0, 1]]

print("A x B =", multiply(a, b))
print("A x I =", multiply(a, identity))
print("transpose(A) =", transpose(a))
