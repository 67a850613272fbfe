"""What kind of answer a task asks for: words, or a program's result.

A code interpreter writes a program for what needs computing or touching files; a task
that asks for words -- explain this traceback, summarize the log on stdin, write a
one-line commit message for this diff -- gets words (``git diff | oci run "write a commit
message"`` once got a program that printed the diff's first line, called a success). The
rule is deliberately narrow: an explicit verb of writing or explaining at the start, and
nothing that asks to count, compute, convert or save; otherwise a program is written as
before (the model may still answer in words where it writes no code, and is asked once
for a program). Standard library only.
"""

from __future__ import annotations

import re

WORDS_DATA_CHARS = 12_000
"""Of text piped to a task that asks for words, this much goes into the request (the
model reads it; no program does)."""

_WORDS = re.compile(
    r"^\W*(?:please\s+|can\s+you\s+|could\s+you\s+)?(?:"
    r"explain|summari[sz]e|describe|translate|proofread|rephrase|reword|review|critique|"
    r"write\s+(?:me\s+)?(?:an?\s+|the\s+)?(?:(?:short|brief|concise|one[- ]line|"
    r"conventional|good|clear|git|polite|friendly|formal)\s+)*"
    r"(?:commit\s+message|message|e-?mail|summary|title|description|paragraph|poem|haiku|"
    r"tweet|reply|answer|changelog(?:\s+entry)?|release\s+notes?|explanation|"
    r"pull\s+request\s+description|pr\s+description|subject\s+line)"
    r")\b", re.IGNORECASE)

_COMPUTE = re.compile(
    r"\b(?:count|sum|total|average|mean|median|compute|calculate|plot|chart|graph|sort|"
    r"csv|save|convert|parse|extract|how\s+many|largest|smallest|maximum|minimum|"
    r"statistics|percent(?:age)?|number\s+of|list\s+(?:all|the)|run\b|execute|benchmark|"
    r"write\s+(?:it|them|the\s+\w+)\s+(?:to|into))\b|\d\s*(?:[-+*/^%]|\*\*)\s*\d",
    re.IGNORECASE)


def wants_words(task: str) -> bool:
    """The task asks for words, not a computed result (see the module)."""
    first = task.strip().split("\n", 1)[0]
    return bool(_WORDS.search(first)) and not _COMPUTE.search(task)


_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$",
                    re.MULTILINE | re.DOTALL)
_PROSE_FENCES = {"", "text", "txt", "plain", "plaintext", "markdown", "md", "git", "commit",
                 "gitcommit"}
WORDS_IN_AN_ANSWER = 8
"""A first reply to a task that asks for words, with at least this many words of prose
outside its code blocks, is the answer: its code is part of what it says (a corrected
line in an explanation), not a program to run."""


def prose_words(reply: str) -> int:
    """How many words ``reply`` has outside its fenced code blocks."""
    return len(_FENCE.sub(" ", reply).split())


def answer_text(reply: str) -> str:
    """A words answer as the user gets it: a reply that is one fenced block of text (a
    commit message in ```` ``` ````) without its fence, else the reply as it is."""
    text = reply.strip()
    found = _FENCE.fullmatch(text)
    if found and found.group(2).lower() in _PROSE_FENCES and len(_FENCE.findall(text)) == 1:
        return found.group(3).strip()
    first, _, rest = text.partition("\n")
    if re.fullmatch(r"`{3,}|~{3,}", first.strip()) and not re.search(
            r"^[ \t]*(`{3,}|~{3,})", rest, re.MULTILINE):
        return rest.strip()  # a fence opened and never closed: prose after it
    return text
