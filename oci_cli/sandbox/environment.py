"""The environment a sandboxed program sees: the user's, minus anything secret."""

from __future__ import annotations

import re
from collections.abc import Mapping

# Names that look like credentials, session handles or agent sockets.
_SECRET_WORDS = re.compile(
    r"KEY|TOKEN|SECRET|PASSW|PASSPHRASE|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|_PAT\b"
    r"|SIGNING|WEBHOOK|DSN|CONNECTION_STRING|DATABASE_URL",
    re.IGNORECASE,
)
# Whole families: cloud and hub credentials, agents, GUI sessions, oci's own settings.
_SECRET_PREFIXES = (
    "AWS_", "AZURE_", "GOOGLE_", "GCLOUD_", "GCP_", "GH_", "GITHUB_", "GITLAB_", "HF_",
    "HUGGING", "OPENAI", "ANTHROPIC", "MISTRAL", "COHERE", "GROQ", "REPLICATE", "OCI_",
    "NPM_", "PYPI", "TWINE_", "DOCKER_", "KUBE", "VAULT_", "SSH_", "GPG_", "GNUPG",
    "DBUS_", "DISPLAY", "WAYLAND_", "XAUTHORITY", "XDG_RUNTIME_DIR", "KRB5",
)
# Settings that would change how the child interpreter starts or behaves.
_DROP_EXACT = {"PYTHONSTARTUP", "PYTHONINSPECT", "PYTHONHOME", "PYTHONBREAKPOINT",
               "PYTHONEXECUTABLE", "PYTHONUSERBASE", "MPLBACKEND", "LD_PRELOAD",
               "LD_LIBRARY_PATH", "PROMPT_COMMAND"}

MARKER = "OCI_SANDBOX_RUN"
"""Set in every sandboxed process; the process-tree sweep looks for it."""


def is_secret(name: str) -> bool:
    upper = name.upper()
    return bool(_SECRET_WORDS.search(upper)) or upper.startswith(_SECRET_PREFIXES)


def scrubbed(environ: Mapping[str, str], *, home: str, tmpdir: str, marker: str,
             cwd: str) -> dict[str, str]:
    """A copy of ``environ`` without secrets, with HOME/TMPDIR moved and Python tuned."""
    env = {k: v for k, v in environ.items() if not is_secret(k) and k not in _DROP_EXACT}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.update({
        "HOME": home,
        "TMPDIR": tmpdir, "TMP": tmpdir, "TEMP": tmpdir,
        "PYTHONUNBUFFERED": "1",          # output arrives as it is printed
        "PYTHONDONTWRITEBYTECODE": "1",   # no __pycache__ in the user's directory
        "PYTHONIOENCODING": "utf-8",      # printing never fails on a C locale
        "PYTHONFAULTHANDLER": "1",        # a segfault prints the Python stack
        "MPLCONFIGDIR": f"{home}/.config/matplotlib",
        "MPLBACKEND": "Agg",              # no GUI windows (the program itself gets a
                                          # backend that saves figures as PNG files)
        "PWD": cwd,
        MARKER: marker,
    })
    return env
