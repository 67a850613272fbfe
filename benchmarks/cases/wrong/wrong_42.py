def version_key(version):
    return tuple(version.split("."))


def latest(versions):
    return max(versions, key=version_key)


def sort_versions(versions):
    return sorted(versions, key=version_key)


if __name__ == "__main__":
    releases = ["1.9.2", "1.10.0", "1.2.11", "0.9.9", "1.10.1"]
    print("Ordered:", " < ".join(sort_versions(releases)))
    print("Latest:", latest(releases))
