"""Secrets by value (issue 34, item 17): bearer tokens and common key formats under
harmless variable names, and git config given in the environment (GIT_CONFIG_VALUE_0 =
"Authorization: Bearer ...") never reach a program."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from oci_interpreter.sandbox.environment import is_secret, scrubbed

SECRETS = {
    "header": "Authorization: Bearer abc",
    "basic-header": "AUTHORIZATION: basic dXNlcjpwYXNz",
    "token-header": "curl -H 'Authorization: token 0123abcd'",
    "bearer-value": "Bearer abc.def",
    "bearer-inside": "--header=x-api: Bearer 0123456789abcdefXYZ",
    "sendgrid": "SG." + "a1B2c3D4e5F6g7H8i9J0kL" + "." + "m" * 43,
    "shopify-access": "shpat_" + "0123456789abcdef" * 2,
    "shopify-secret": "shpss_" + "0123456789abcdef" * 2,
    "shopify-custom": "shpca_" + "0123456789abcdef" * 2,
    "shopify-private": "shppa_" + "0123456789abcdef" * 2,
    "groq": "gsk_" + "Ab1" * 17 + "x",
    "azure-storage": ("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey="
                      "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy+/==;"
                      "EndpointSuffix=core.windows.net"),
    "azure-service-bus": ("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName="
                          "RootManageSharedAccessKey;SharedAccessKey=abcDEF0123456789+/="),
    "azure-sas": "https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sig=abcdEFGH1234%2Bxyz%3D",
    "stripe-restricted": "rk_live_" + "a1" * 12,
    "stripe-test": "sk_test_" + "a1" * 12,
    "google-oauth": "ya29." + "a0AfH6SM" * 4,
    "digitalocean": "dop_v1_" + "0123456789abcdef" * 4,
    "slack-app": "xapp-1-A0123456789-0123456789012-abcdef",
}

HARMLESS = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "EDITOR": "vim",
    "LS_COLORS": "rs=0:di=01;34:ln=01;36:mh=00:pi=40;33:so=01;35:do=01;35:bd=40;33;01",
    "PS1": r"\u@\h:\w\$ ",
    "NOTE": "the bearer of this note",
    "QUERY_URL": "https://example.com/search?q=1&sigma=2",
    "SHORT": "gsk_abc SG.x.y shpat_1",
    "VIRTUAL_ENV": "/home/me/.venv",
}


@pytest.mark.parametrize("value", list(SECRETS.values()), ids=list(SECRETS))
def test_a_secret_value_is_scrubbed_under_a_harmless_name(value: str) -> None:
    assert is_secret("MY_VAR", value)
    env = {"MY_VAR": value, "PATH": "/usr/bin"}
    out = scrubbed(env, home="/h", tmpdir="/t", marker="m", cwd="/w")
    assert "MY_VAR" not in out
    assert out["PATH"] == "/usr/bin"


def test_ordinary_values_are_kept() -> None:
    out = scrubbed(HARMLESS, home="/h", tmpdir="/t", marker="m", cwd="/w")
    assert {k for k in HARMLESS if k in out} == set(HARMLESS)


GIT_ENV = {
    "GIT_CONFIG_COUNT": "4",
    "GIT_CONFIG_KEY_0": "http.https://git.example.com/.extraheader",
    "GIT_CONFIG_VALUE_0": "Authorization: Bearer abc",
    "GIT_CONFIG_KEY_1": "user.name",
    "GIT_CONFIG_VALUE_1": "Ada",
    "GIT_CONFIG_KEY_2": "url.https://example.com/.insteadOf",
    "GIT_CONFIG_VALUE_2": "Bearer " + "x" * 20,
    "GIT_CONFIG_KEY_3": "core.abbrev",
    "GIT_CONFIG_VALUE_3": "12",
}


def test_git_config_in_the_environment_loses_its_secret_pairs_and_stays_complete() -> None:
    out = scrubbed({**GIT_ENV, "PATH": "/usr/bin"}, home="/h", tmpdir="/t", marker="m",
                   cwd="/w")
    git = {k: v for k, v in out.items() if k.startswith("GIT_CONFIG")}
    assert git == {"GIT_CONFIG_COUNT": "2",
                   "GIT_CONFIG_KEY_0": "user.name", "GIT_CONFIG_VALUE_0": "Ada",
                   "GIT_CONFIG_KEY_1": "core.abbrev", "GIT_CONFIG_VALUE_1": "12"}
    assert not any("Bearer" in v for v in out.values())


def test_git_config_with_a_secret_key_name_or_a_broken_count() -> None:
    env = {"GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "credential.helper",
           "GIT_CONFIG_VALUE_0": "store", "GIT_CONFIG_KEY_1": "http.extraHeader",
           "GIT_CONFIG_VALUE_1": "X-Custom: 1"}
    out = scrubbed(env, home="/h", tmpdir="/t", marker="m", cwd="/w")
    assert not any(k.startswith("GIT_CONFIG") for k in out)
    out = scrubbed({"GIT_CONFIG_COUNT": "many", "GIT_CONFIG_KEY_0": "a.b",
                    "GIT_CONFIG_VALUE_0": "c"}, home="/h", tmpdir="/t", marker="m", cwd="/w")
    assert not any(k.startswith("GIT_CONFIG") for k in out)
    out = scrubbed({"GIT_CONFIG_PARAMETERS": "'http.extraheader'='Authorization: Bearer x'"},
                   home="/h", tmpdir="/t", marker="m", cwd="/w")
    assert "GIT_CONFIG_PARAMETERS" not in out


@pytest.mark.spawns
@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_in_a_program_reads_the_kept_config_and_no_secret(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from oci_interpreter.sandbox.limits import Limits
    from oci_interpreter.sandbox.runner import run_program

    for name, value in {**GIT_ENV, **{f"V_{k}": v for k, v in SECRETS.items()}}.items():
        monkeypatch.setenv(name.upper().replace("-", "_"), value)
    work = tmp_path / "w"
    work.mkdir()
    code = ("import os, subprocess\n"
            "print(subprocess.run(['git', 'config', '--list'], capture_output=True,"
            " text=True).stdout)\n"
            "print(sorted(os.environ.items()))\n")
    result = run_program(code=code, cwd=work, limits=Limits(timeout=30))
    assert result.ok, result.stderr
    assert "user.name=Ada" in result.stdout and "core.abbrev=12" in result.stdout
    assert "Bearer" not in result.stdout and "bearer" not in result.stdout.lower()
    for value in SECRETS.values():
        assert value not in result.stdout
    assert os.environ["GIT_CONFIG_VALUE_0"] == "Authorization: Bearer abc"  # oci's own: as is
