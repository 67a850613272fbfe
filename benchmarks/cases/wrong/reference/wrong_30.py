CM_PER_INCH = 2.54
INCHES_PER_FOOT = 12


def height_to_cm(feet, inches=0):
    total_inches = feet * INCHES_PER_FOOT + inches
    return round(total_inches * CM_PER_INCH, 2)


def parse_height(text):
    feet, inches = text.replace('"', "").split("'")
    return int(feet), int(inches or 0)


if __name__ == "__main__":
    for text in ["5'10\"", "6'0\"", "4'11\""]:
        feet, inches = parse_height(text)
        print(f"{text:>6} = {height_to_cm(feet, inches):7.2f} cm")
