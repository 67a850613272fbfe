# Modular exponentiation for a toy encryption scheme
def power_mod(base, exponent, modulus):
    half = power_mod(base, exponent // 2, modulus)
    result = half * half % modulus
    if exponent % 2 == 1:
        result = result * base % modulus
    return result

public_key, modulus = 17, 3233
private_key = 2753
message = 65
cipher = power_mod(message, public_key, modulus)
print("Encrypted:", cipher)
print("Decrypted:", power_mod(cipher, private_key, modulus))
print("Check:", power_mod(2, 10, 1000))
