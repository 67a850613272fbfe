"""The environment a sandboxed program sees: the user's, minus anything secret."""

from __future__ import annotations

import re
from collections.abc import Mapping

# Names that look like credentials, session handles or agent sockets.
_SECRET_WORDS = re.compile(
    r"KEY|TOKEN|SECRET|PASSW|PASSPHRASE|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|_PAT\b"
    r"|SIGNING|WEBHOOK|DSN|CONNECTION_STRING|DATABASE_URL|JWT|_PASS\b|_PW\b|_PWD\b"
    r"|^MYSQL_PWD$|^PGPASS",
    re.IGNORECASE,
)
# Values that are secrets whatever the variable is called: a URL with a password in it
# (DATABASE_URI=postgres://u:secret@host, HTTPS_PROXY, PIP_INDEX_URL, REDIS_URL) and the
# well-known token formats.
_SECRET_VALUE = re.compile(
    r"[a-z][a-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@"          # scheme://user:password@
    r"|\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_-]{20,}|sk_live_[A-Za-z0-9]{16,}"
    r"|hf_[A-Za-z0-9]{30,}|npm_[A-Za-z0-9]{30,}|pypi-[A-Za-z0-9_-]{50,}"
    r"|AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}"
    r"|eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.)"     # a JWT
    r"|hooks\.slack\.com/services/|discord(?:app)?\.com/api/webhooks/"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----",
    re.IGNORECASE,
)
# Whole families: cloud and hub credentials, agents, GUI sessions, oci's own settings.
_SECRET_PREFIXES = (
    "AWS_", "AZURE_", "GOOGLE_", "GCLOUD_", "GCP_", "GH_", "GITHUB_", "GITLAB_", "HF_",
    "HUGGING", "OPENAI", "ANTHROPIC", "MISTRAL", "COHERE", "GROQ", "REPLICATE", "OCI_",
    "NPM_", "PYPI", "TWINE_", "DOCKER_", "KUBE", "VAULT_", "SSH_", "GPG_", "GNUPG",
    "DBUS_", "DISPLAY", "WAYLAND_", "XAUTHORITY", "XDG_RUNTIME_DIR", "KRB5",
)
# Handles on the user's terminal, editor or desktop: with one, a program can make a tmux or
# screen server, an editor or a window manager run commands or type into the user's shell.
_CONTROL_EXACT = {"TMUX", "TMUX_PANE", "STY", "WINDOW", "I3SOCK", "SWAYSOCK",
                  "ALACRITTY_SOCKET", "ALACRITTY_WINDOW_ID", "TERMINATOR_UUID",
                  "GNOME_TERMINAL_SCREEN", "GNOME_TERMINAL_SERVICE", "KONSOLE_DBUS_SERVICE",
                  "KONSOLE_DBUS_SESSION", "KONSOLE_DBUS_WINDOW", "TILIX_ID",
                  "HYPRLAND_INSTANCE_SIGNATURE", "NIRI_SOCKET", "GIT_ASKPASS", "SSH_ASKPASS",
                  "SUDO_ASKPASS", "EDITOR_SOCKET", "EMACS_SOCKET_NAME"}
_CONTROL_PREFIXES = ("NVIM", "VIM_SERVER", "KITTY_", "WEZTERM_", "VSCODE_", "TERM_PROGRAM_",
                     "ZELLIJ", "ATUIN_", "WT_SESSION", "INSIDE_EMACS", "JETBRAINS_",
                     "TERMINAL_EMULATOR", "ITERM_", "LC_TERMINAL", "GIO_LAUNCHED_DESKTOP",
                     "SCREEN_")
# Settings that would change how the child interpreter starts or behaves.
_DROP_EXACT = {"PYTHONSTARTUP", "PYTHONINSPECT", "PYTHONHOME", "PYTHONBREAKPOINT",
               "PYTHONEXECUTABLE", "PYTHONUSERBASE", "MPLBACKEND", "LD_PRELOAD",
               "LD_LIBRARY_PATH", "PROMPT_COMMAND"}

MARKER = "OCI_SANDBOX_RUN"
"""Set in every sandboxed process; the process-tree sweep looks for it."""


def is_secret(name: str, value: str = "") -> bool:
    """A credential, by the variable's name or by what its value looks like."""
    upper = name.upper()
    if upper in ("PWD", "OLDPWD"):
        return False
    return (bool(_SECRET_WORDS.search(upper)) or upper.startswith(_SECRET_PREFIXES)
            or bool(value and _SECRET_VALUE.search(value)))


def is_control_handle(name: str) -> bool:
    """A variable that lets a program reach the user's terminal multiplexer, editor, IDE
    or window manager (``TMUX``, ``NVIM``, ``KITTY_LISTEN_ON``, ``VSCODE_IPC_HOOK_CLI``...)."""
    upper = name.upper()
    return upper in _CONTROL_EXACT or upper.startswith(_CONTROL_PREFIXES)


def scrubbed(environ: Mapping[str, str], *, home: str, tmpdir: str, marker: str,
             cwd: str) -> dict[str, str]:
    """A copy of ``environ`` without secrets, with HOME/TMPDIR moved and Python tuned."""
    env = {k: v for k, v in environ.items()
           if not is_secret(k, v) and not is_control_handle(k) and k not in _DROP_EXACT}
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
