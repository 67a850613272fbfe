def average_speed(distance_km, minutes):
    hours = minutes / 60
    return round(distance_km / hours, 2)


def pace_per_km(distance_km, minutes):
    total_seconds = round(minutes * 60 / distance_km)
    return f"{total_seconds // 60}:{total_seconds % 60:02d} min/km"


if __name__ == "__main__":
    runs = [("Sunday long run", 15.0, 90), ("Tempo", 12.0, 60), ("Half marathon", 21.1, 126)]
    for name, km, mins in runs:
        print(f"{name:<16} {average_speed(km, mins):6.2f} km/h  {pace_per_km(km, mins)}")
