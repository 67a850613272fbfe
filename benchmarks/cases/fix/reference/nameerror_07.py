# Find prime numbers in a range
def is_prime(n):
    if n < 2:
        return False
    d = 2
    while d * d <= n:
        if n % d == 0:
            return False
        d += 1
    return True

primes = [n for n in range(1, 60) if is_prime(n)]
print("Primes below 60:", primes)
print("Count:", len(primes))
twin_pairs = [(p, p + 2) for p in primes if is_prime(p + 2)]
print("Twin prime pairs:", len(twin_pairs))
