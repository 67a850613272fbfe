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


def is_secret(name: str) -> bool:
    upper = name.upper()
    return bool(_SECRET_WORDS.search(upper)) or upper.startswith(_SECRET_PREFIXES)


def is_control_handle(name: str) -> bool:
    """A variable that lets a program reach the user's terminal multiplexer, editor, IDE
    or window manager (``TMUX``, ``NVIM``, ``KITTY_LISTEN_ON``, ``VSCODE_IPC_HOOK_CLI``...)."""
    upper = name.upper()
    return upper in _CONTROL_EXACT or upper.startswith(_CONTROL_PREFIXES)


def scrubbed(environ: Mapping[str, str], *, home: str, tmpdir: str, marker: str,
             cwd: str) -> dict[str, str]:
    """A copy of ``environ`` without secrets, with HOME/TMPDIR moved and Python tuned."""
    env = {k: v for k, v in environ.items()
           if not is_secret(k) and not is_control_handle(k) and k not in _DROP_EXACT}
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
