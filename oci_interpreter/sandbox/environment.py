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
# (DATABASE_URI=postgres://u:secret@host, HTTPS_PROXY, PIP_INDEX_URL, REDIS_URL), an HTTP
# authorization header or bearer token (GIT_CONFIG_VALUE_0="Authorization: Bearer ..." for
# http.extraHeader), an Azure connection string or SAS signature, and the well-known token
# formats. docs/security.md lists them.
_SECRET_VALUE = re.compile(
    r"[a-z][a-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@"          # scheme://user:password@
    r"|\bAuthorization\s*[:=]\s*\S"                      # a header, any scheme
    r"|^\s*Bearer\s+\S|\bBearer\s+[A-Za-z0-9._~+/=-]{16,}"  # a bearer token
    r"|\b(?:Account|SharedAccess)Key\s*=\s*[^;\s]{8,}"     # Azure connection strings
    r"|[?&]sig=[A-Za-z0-9%+/=]{16,}"                     # an Azure SAS signature
    r"|\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}|xapp-[0-9]-[A-Za-z0-9-]{10,}"
    r"|sk-[A-Za-z0-9_-]{20,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"
    r"|hf_[A-Za-z0-9]{30,}|npm_[A-Za-z0-9]{30,}|pypi-[A-Za-z0-9_-]{50,}"
    r"|AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}|ya29\.[A-Za-z0-9_-]{20,}"
    r"|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"        # SendGrid
    r"|shp(?:at|ss|ca|pa)_[A-Za-z0-9]{16,}"              # Shopify
    r"|gsk_[A-Za-z0-9]{20,}"                             # Groq
    r"|dop_v1_[A-Za-z0-9]{32,}"                          # DigitalOcean
    r"|eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.)"     # a JWT
    r"|hooks\.slack\.com/services/|discord(?:app)?\.com/api/webhooks/"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----",
    re.IGNORECASE,
)
# Git config keys whose value is a credential (http.extraHeader holds a header).
_SECRET_GIT_KEY = re.compile(r"extraheader|password|passwd|token|secret|credential|cookie"
                             r"|authorization|\.pat$", re.IGNORECASE)
_GIT_CONFIG_MAX = 1000
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


def _is_git_config(name: str) -> bool:
    return name == "GIT_CONFIG_COUNT" or name.startswith(("GIT_CONFIG_KEY_",
                                                          "GIT_CONFIG_VALUE_"))


def _git_config(environ: Mapping[str, str]) -> dict[str, str]:
    """Git config given in the environment (``GIT_CONFIG_COUNT``, ``GIT_CONFIG_KEY_n``,
    ``GIT_CONFIG_VALUE_n``), without the pairs whose key or value is a credential
    (``http.extraHeader`` = ``Authorization: Bearer ...``) and renumbered, so git in the
    program reads a complete list (a key without its value makes git refuse to start)."""
    try:
        count = int(environ.get("GIT_CONFIG_COUNT", "0"))
    except ValueError:
        return {}
    kept: list[tuple[str, str]] = []
    for n in range(min(max(count, 0), _GIT_CONFIG_MAX)):
        key, value = environ.get(f"GIT_CONFIG_KEY_{n}"), environ.get(f"GIT_CONFIG_VALUE_{n}")
        if key is None or value is None:
            continue
        if _SECRET_GIT_KEY.search(key) or _SECRET_VALUE.search(value):
            continue
        kept.append((key, value))
    env: dict[str, str] = {}
    for n, (key, value) in enumerate(kept):
        env[f"GIT_CONFIG_KEY_{n}"], env[f"GIT_CONFIG_VALUE_{n}"] = key, value
    if kept:
        env["GIT_CONFIG_COUNT"] = str(len(kept))
    return env


def scrubbed(environ: Mapping[str, str], *, home: str, tmpdir: str, marker: str,
             cwd: str) -> dict[str, str]:
    """A copy of ``environ`` without secrets, with HOME/TMPDIR moved and Python tuned."""
    env = {k: v for k, v in environ.items()
           if not _is_git_config(k) and not is_secret(k, v) and not is_control_handle(k)
           and k not in _DROP_EXACT}
    env.update(_git_config(environ))
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
