# Word count for several documents
documents = {
    "intro.txt": "Welcome to the project. Read this first.",
    "install.txt": "Run the installer and follow the prompts on screen.",
    "faq.txt": "Questions and answers.",
}

grand_total = 0
for name in sorted(documents):
    n_words = len(documents[name].split())
    grand_total += n_words
    print(name + ": " + str(n_words) + " words")

print("All documents: " + str(grand_total) + " words")
