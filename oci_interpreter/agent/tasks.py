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

from oci_interpreter.agent.extract import CodeBlock, find_blocks, outside_blocks

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


_PROSE_FENCES = {"", "text", "txt", "plain", "plaintext", "markdown", "md", "git", "commit",
                 "gitcommit"}
WORDS_IN_AN_ANSWER = 8
"""A first reply to a task that asks for words, with at least this many words of prose
outside its code blocks, is the answer: its code is part of what it says (a corrected
line in an explanation), not a program to run."""


def _text_block(text: str) -> CodeBlock | None:
    """The fenced block that is all of ``text`` when its fence says text (or nothing)."""
    blocks = find_blocks(text)
    if len(blocks) == 1 and blocks[0].start == 0 and blocks[0].end >= len(text):
        block = blocks[0]
        kind = (block.info.split() or [""])[0].lower()
        if kind in _PROSE_FENCES and (block.complete or not block.info):
            return block
    return None


def prose_words(reply: str) -> int:
    """How many words ``reply`` has outside its fenced code blocks; a reply that is one
    block of text (not of Python) in a bare or ``text`` fence is all words."""
    block = _text_block(reply.strip())
    if block is not None and block.language != "python":
        return len(block.code.split())
    return len(outside_blocks(reply).split())


def answer_text(reply: str) -> str:
    """A words answer as the user gets it: a reply that is one fenced block of text (a
    commit message in ```` ``` ````, or a bare fence never closed) without its fence,
    else the reply as it is."""
    text = reply.strip()
    block = _text_block(text)
    return block.code if block is not None else text
