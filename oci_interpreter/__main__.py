"""``python -m oci_interpreter``: the ``oci`` command.

``python -m`` puts the current directory first on ``sys.path``, and the current directory
is where programs oci ran leave their files: a ``typer.py`` there would be imported instead
of Typer. It is taken off before anything else is imported. (Python has already imported
this package by then, so an ``oci_interpreter`` directory left there still wins: the
``oci`` command, or ``python -P -m oci_interpreter``, has neither problem.)
"""

import os
import sys


def _drop_the_current_directory() -> None:
    try:
        here = os.path.realpath(os.getcwd())
    except OSError:  # the current directory was removed: only "" can still name it
        here = None
    while sys.path and (sys.path[0] in ("", ".")
                        or (here is not None and os.path.realpath(sys.path[0]) == here)):
        del sys.path[0]


_drop_the_current_directory()

from oci_interpreter.cli.main import entry  # noqa: E402

entry()
