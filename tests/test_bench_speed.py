"""The speed half of `oci bench` (oci_interpreter.bench.speed): each part on real components
(numpy, the sandbox, `oci` subprocesses, the real model), checked for sane values and
the relations that hold on any machine -- never for speed thresholds, which a shared
machine cannot promise."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from oci_interpreter.backend.fake import FakeBackend
from oci_interpreter.bench import fixture, speed
from oci_interpreter.core.errors import UsageError


def test_memory_bandwidth_is_a_plausible_rate() -> None:
    gb_s = speed.memory_bandwidth(threads=2, size_mib=32, repeats=2)
    assert 0.1 < gb_s < 10_000


def test_synthetic_history_reaches_the_length_and_ends_with_a_user_turn() -> None:
    count = FakeBackend().count_tokens
    for target in (100, 600, 1500):
        history = fixture.synthetic_history(count, target)
        assert target <= count(history) < target + 25  # the last user turn pads with rows
        assert history[0].role == "system" and history[-1].role == "user"
        roles = [m.role for m in history[1:]]
        assert roles == ["user", "assistant"] * (len(roles) // 2) + ["user"]
    assert "```python" in history[2].content and "Execution result:" in history[3].content
    assert "data_" in history[-1].content


@pytest.mark.spawns
def test_sandbox_overhead_against_python_c_pass() -> None:
    result = speed.measure_sandbox(runs=2, cells=5)
    assert result["mode"] in speed.available_sandbox_modes()
    for key in ("python_c_pass_s", "fresh_run_s", "kernel_cell_s", "kernel_restart_s"):
        assert result[key] > 0
    assert result["kernel_cell_ratio"] == result["kernel_cell_s"] / result["python_c_pass_s"]
    assert result["kernel_cell_s"] < result["fresh_run_s"]  # the point of the kernel


@pytest.mark.spawns
def test_help_startup_against_python_c_pass() -> None:
    result = speed.measure_startup(runs=2)
    assert result["help_startup_s"] > 0 and result["python_c_pass_s"] > 0
    assert result["help_startup_ratio"] > 1  # oci --help runs python -c pass and more


@pytest.mark.spawns
def test_chat_turn_peak_memory_in_a_child(tmp_path: Path) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps(["```python\nprint(sum(i * i for i in range(101)))\n```"]))
    ballast = bytearray(600 * 1024 * 1024)  # this process holds 600 MiB, as the bench does
    for i in range(0, len(ballast), 4096):  # a model: touched, so resident
        ballast[i] = 1
    result = speed.measure_chat_rss(f"fake:{replies}", timeout=120)
    del ballast
    # the child's own peak: not the copy of this process it was between fork and exec
    assert 10 < result["peak_rss_mib"] < 500
    assert result["rss_vs_model_file"] is None  # a scripted model has no file
    assert result["rss_vs_weights_and_kv"] is None
    # the banner line, then the reply's first line (the scripted reply is its code)
    assert 0 < result["startup_to_banner_s"] <= result["startup_to_first_reply_line_s"]
    assert result["startup_to_first_reply_line_s"] < result["seconds"]


@pytest.mark.spawns
def test_measure_selects_parts_and_reports_failures_instead_of_raising() -> None:
    backend = FakeBackend()  # no KV cache, no engine: the model parts fail, visibly
    report = speed.measure(backend, model_path="<fake>",  # type: ignore[arg-type]
                           parts={"decode", "startup"}, startup_runs=1)
    d = report.to_dict()
    assert d["help_startup_s"] > 0 and d["help_startup_ratio"] > 0
    assert d["decode_tokens_per_s"] is None and "decode" in d["errors"]
    assert set(d["skipped"]) == {"ceiling", "followup", "sandbox", "rss"}
    assert d["machine"]["cores"] >= 1 and d["machine"]["memory_gib"] > 0
    assert d["machine"]["backend"].startswith("llama.cpp")
    json.dumps(d)  # what --json prints
    with pytest.raises(UsageError, match="unknown speed part"):
        speed.measure(backend, model_path="<fake>", parts={"warp"})  # type: ignore[arg-type]


@pytest.mark.model
def test_real_model_decode_ceiling_and_followup(real_backend: object,
                                                small_model_path: Path) -> None:
    lines: list[str] = []
    report = speed.measure(
        real_backend, model_path=str(small_model_path),  # type: ignore[arg-type]
        parts={"decode", "ceiling", "followup"}, history_lengths=(300, 1200),
        decode_tokens=12, repeats=1, bandwidth_mib=128, progress=lines.append,
    )
    assert report.errors == {}, report.errors
    ratio = report.decode_ratio_vs_engine
    assert isinstance(ratio, float) and ratio > 0 and math.isfinite(ratio)
    assert report.prompt_ratio_vs_engine is not None and report.prompt_ratio_vs_engine > 0
    assert report.decode is not None
    assert report.decode["engine_tokens"] == report.decode["oci_tokens"] == [12]
    assert report.decode_step_ratio_vs_engine is not None
    assert report.decode_step_ratio_vs_engine > 0
    assert report.weight_bytes_per_token and report.memory_bandwidth_gb_s
    assert report.ceiling_tokens_per_s is not None and report.decode_tokens_per_s is not None
    assert report.ceiling_tokens_per_s > report.decode_tokens_per_s
    assert report.decode_fraction_of_ceiling is not None
    assert 0 < report.decode_fraction_of_ceiling < 1

    short, long = report.followup_ttft_s["300"], report.followup_ttft_s["1200"]
    assert 300 <= short["history_tokens"] < 350 and 1200 <= long["history_tokens"] < 1250
    assert long["reused_tokens"] >= long["history_tokens"]  # the history and the reply
    assert long["evaluated_tokens"] < 100
    assert long["reuse"] < long["no_reuse"]
    assert any("follow-up" in line for line in lines)
