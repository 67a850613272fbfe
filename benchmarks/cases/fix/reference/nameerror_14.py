# Caesar cipher round trip
def shift_letter(ch, shift):
    if not ch.isalpha():
        return ch
    base = ord("a") if ch.islower() else ord("A")
    return chr((ord(ch) - base + shift) % 26 + base)

def encrypt(message, shift):
    return "".join(shift_letter(ch, shift) for ch in message)

def decrypt(message, shift):
    return encrypt(message, -shift)

secret = encrypt("Meet me at Noon!", 5)
print("Encrypted:", secret)
print("Decrypted:", decrypt(secret, 5))
