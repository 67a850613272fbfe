"""The server backend against a real local HTTP server (tests/openai_fake.py): streaming,
statistics, the request it sends, cancellation, and one clear error per failure."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import pytest

from oci_interpreter.backend.base import GenerationOptions, Message
from oci_interpreter.backend.server import ServerBackend, normalize_base_url
from oci_interpreter.core.cancel import CancelToken
from oci_interpreter.core.config import Settings
from oci_interpreter.core.errors import (
    ContextOverflowError,
    ModelNotFoundError,
    ServerError,
    UsageError,
)
from tests.support.openai_fake import FakeOpenAIServer

HELLO = [Message("user", "Say hello.")]


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


def backend(url: str, **kw: object) -> ServerBackend:
    settings = kw.pop("settings", None) or Settings()
    assert isinstance(settings, Settings)
    kw.setdefault("backoff_s", 0.01)
    return ServerBackend(url, settings, **kw)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_streams_the_reply_and_picks_the_first_model(fake: FakeOpenAIServer) -> None:
    fake.script.models = ["coder-a", "coder-b"]
    fake.script.replies.append("print('hi') is the program")
    b = backend(fake.url)
    assert b.info.name == "coder-a" and b.info.path == fake.url and b.parallel
    completion = b.chat(HELLO)
    chunks = list(completion)
    assert "".join(chunks) == "print('hi') is the program"
    assert len(chunks) == 4  # streamed, not one block
    assert completion.stats.finish_reason == "stop"
    assert completion.stats.generated_tokens == 4
    assert completion.stats.prompt_tokens == 37  # the server's usage wins over the estimate
    sent = fake.script.requests[-1]
    assert sent["model"] == "coder-a" and sent["stream"] is True
    assert sent["messages"] == [{"role": "user", "content": "Say hello."}]
    assert sent["temperature"] == 0.0 and sent["top_k"] == 1 and sent["seed"] == 1234
    assert sent["cache_prompt"] is True  # llama-server keeps the prompt for the next turn
    b.close()


def test_named_model_and_stop_strings(fake: FakeOpenAIServer) -> None:
    fake.script.models = ["coder-a", "coder-b"]
    fake.script.replies.append("one two STOP three")
    b = backend(fake.url, model="coder-b")
    text = b.chat(HELLO, GenerationOptions(stop=("STOP",), max_tokens=50)).text()
    assert text == "one two "
    assert fake.script.requests[-1]["model"] == "coder-b"
    assert fake.script.requests[-1]["stop"] == ["STOP"]


def test_unknown_model_lists_what_the_server_has(fake: FakeOpenAIServer) -> None:
    fake.script.models = ["coder-a", "coder-b"]
    with pytest.raises(ModelNotFoundError) as err:
        backend(fake.url, model="gpt-9")
    line = err.value.one_line()
    assert "no model 'gpt-9'" in line and "coder-a, coder-b" in line and "--server-model" in line


def test_llama_server_timings_fill_the_stats(fake: FakeOpenAIServer) -> None:
    fake.script.llama_timings = True
    fake.script.replies.append("a b c")
    completion = backend(fake.url).chat(HELLO)
    completion.text()
    stats = completion.stats
    assert stats.prompt_tokens_reused == 30 and stats.prompt_tokens_evaluated == 7
    assert stats.prompt_tokens == 37
    assert stats.prompt_seconds == pytest.approx(0.07)
    assert stats.generate_seconds == pytest.approx(0.06)
    assert stats.tokens_per_second == pytest.approx(50.0)


def test_context_size_and_tokens_from_llama_server(fake: FakeOpenAIServer) -> None:
    fake.script.props_n_ctx = 2048
    fake.script.tokenize = True
    b = backend(fake.url)
    assert b.info.n_ctx == 2048
    one = b.count_tokens([Message("user", "one two three four")])
    assert one == 4 + 5 + 3  # the server's count plus the template's allowance
    long = [Message("user", "word " * 3000)]
    with pytest.raises(ContextOverflowError) as err:
        b.chat(long)
    assert "2,048" in err.value.one_line()
    assert not fake.script.requests  # refused before sending


def test_estimate_without_a_tokenizer_and_context_from_settings(fake: FakeOpenAIServer) -> None:
    b = backend(fake.url, settings=Settings(n_ctx=4096))
    assert b.info.n_ctx == 4096
    assert b.count_tokens([Message("user", "x" * 300)]) == 300 // 3 + 1 + 5 + 3


def test_api_key_is_sent_and_never_shown(fake: FakeOpenAIServer) -> None:
    fake.script.api_key = "s3cret-key"
    b = backend(fake.url, api_key="s3cret-key")
    assert b.chat(HELLO).text() == "Hello there."
    assert fake.script.headers[-1]["Authorization"] == "Bearer s3cret-key"
    assert "s3cret" not in repr(b)
    with pytest.raises(ServerError) as err:
        backend(fake.url, api_key="wrong-key")
    line = err.value.one_line()
    assert "401" in line and "OCI_API_KEY" in line and "wrong-key" not in line
    with pytest.raises(ServerError) as err:
        backend(fake.url)
    assert "Put the server's API key in the environment variable OCI_API_KEY" in str(err.value)


def test_no_server_is_one_line_after_a_few_quick_tries() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    start = time.perf_counter()
    with pytest.raises(ServerError) as err:
        backend(url)
    assert time.perf_counter() - start < 5
    line = err.value.one_line()
    assert line.startswith(f"no model server answers at {url} (connection refused)")
    assert "oci serve" in line and "--base-url" in line


def test_wrong_base_url_says_where_the_api_usually_is(fake: FakeOpenAIServer) -> None:
    with pytest.raises(ServerError) as err:
        backend(fake.url.removesuffix("/v1") + "/api")
    line = err.value.one_line()
    assert "404" in line and "/v1" in line


def test_root_url_gets_v1_and_bad_urls_are_refused() -> None:
    assert normalize_base_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080/v1"
    assert normalize_base_url("https://h/x/v1/") == "https://h/x/v1"
    with pytest.raises(UsageError):
        normalize_base_url("127.0.0.1:8080")


def test_loading_server_is_retried_then_answers(fake: FakeOpenAIServer) -> None:
    b = backend(fake.url)
    fake.script.statuses = deque([503, 503])
    assert b.chat(HELLO).text() == "Hello there."
    assert len(fake.script.requests) == 3


def test_server_that_stays_unavailable(fake: FakeOpenAIServer) -> None:
    b = backend(fake.url)
    fake.script.statuses = deque([503] * 10)
    with pytest.raises(ServerError) as err:
        b.chat(HELLO)
    assert "not ready" in err.value.one_line() and "4 tries" in err.value.one_line()


def test_server_error_shows_its_message(fake: FakeOpenAIServer) -> None:
    b = backend(fake.url)
    fake.script.statuses = deque([500])
    fake.script.error_body = {"error": {"message": "CUDA out of memory", "type": "server"}}
    with pytest.raises(ServerError) as err:
        b.chat(HELLO)
    assert err.value.one_line().startswith(
        f"the server at {fake.url} answered 500: CUDA out of memory")
    assert len(fake.script.requests) == 1  # a 500 is not retried


def test_context_exceeded_by_the_server(fake: FakeOpenAIServer) -> None:
    b = backend(fake.url)
    fake.script.statuses = deque([400])
    fake.script.error_body = {"error": {
        "message": "This model's maximum context length is 2048 tokens. However, you "
                   "requested 3000 tokens", "code": "context_length_exceeded"}}
    with pytest.raises(ContextOverflowError) as err:
        b.chat(HELLO)
    assert "maximum context length is 2048" in err.value.one_line()


def test_model_unloaded_on_the_server(fake: FakeOpenAIServer) -> None:
    b = backend(fake.url)
    fake.script.statuses = deque([404])
    fake.script.error_body = {"error": {"message": "The model `fake-coder` does not exist."}}
    with pytest.raises(ModelNotFoundError) as err:
        b.chat(HELLO)
    assert "has no model 'fake-coder'" in err.value.one_line()


def test_stream_that_breaks_off(fake: FakeOpenAIServer) -> None:
    fake.script.replies.append("one two three four five")
    fake.script.break_after = 2
    completion = backend(fake.url).chat(HELLO)
    got: list[str] = []
    with pytest.raises(ServerError) as err:
        for chunk in completion:
            got.append(chunk)
    assert got == ["one ", "two "]  # what came is kept
    assert "broke off after 2 chunks" in err.value.one_line()


def test_malformed_event(fake: FakeOpenAIServer) -> None:
    fake.script.malformed = True
    with pytest.raises(ServerError) as err:
        backend(fake.url).chat(HELLO).text()
    assert "malformed event" in err.value.one_line()


def test_stalled_stream_times_out(fake: FakeOpenAIServer) -> None:
    fake.script.replies.append("one two three")
    fake.script.stall_after = 1
    b = backend(fake.url, settings=Settings(server_timeout=0.5))
    completion = b.chat(HELLO)
    start = time.perf_counter()
    with pytest.raises(ServerError) as err:
        completion.text()
    assert time.perf_counter() - start < 5
    assert "sent nothing for 0.5 s" in err.value.one_line()
    assert "server_timeout" in err.value.one_line()


def test_cancel_mid_stream_closes_it(fake: FakeOpenAIServer) -> None:
    fake.script.replies.append(" ".join(f"w{i}" for i in range(200)))
    fake.script.chunk_delay_s = 0.05
    cancel = CancelToken()
    completion = backend(fake.url).chat(HELLO, cancel=cancel)
    got = []
    start = time.perf_counter()
    for chunk in completion:
        got.append(chunk)
        if len(got) == 3:
            cancel.cancel()
    assert time.perf_counter() - start < 2
    assert completion.stats.finish_reason == "cancelled"
    assert 3 <= len(got) < 10
    deadline = time.time() + 5
    while fake.script.disconnects == 0 and time.time() < deadline:
        time.sleep(0.05)
    assert fake.script.disconnects == 1  # the server saw the stream closed and stopped


def test_cancel_while_the_server_evaluates_the_prompt(fake: FakeOpenAIServer) -> None:
    fake.script.header_delay_s = 3
    b = backend(fake.url)
    cancel = CancelToken()
    threading.Timer(0.2, cancel.cancel).start()
    start = time.perf_counter()
    completion = b.chat(HELLO, cancel=cancel)
    assert completion.text() == ""
    assert completion.stats.finish_reason == "cancelled"
    assert time.perf_counter() - start < 1.5


def test_strict_server_refusing_extra_fields(fake: FakeOpenAIServer) -> None:
    fake.script.strict_fields = True
    b = backend(fake.url)
    assert b.chat(HELLO).text() == "Hello there."
    assert b.chat(HELLO).text() == "Hello there."
    last = fake.script.requests[-1]
    assert "cache_prompt" not in last and "top_k" not in last
    assert len(fake.script.requests) == 4  # two refusals on the first call, none after


def test_requests_in_parallel(fake: FakeOpenAIServer) -> None:
    fake.script.default_reply = "a b c d e"
    fake.script.chunk_delay_s = 0.1
    b = backend(fake.url)
    results: list[str] = []
    start = time.perf_counter()
    threads = [threading.Thread(target=lambda: results.append(b.chat(HELLO).text()))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["a b c d e"] * 4
    assert time.perf_counter() - start < 4 * 0.5  # overlapped, not one after another


# --- whole commands ---------------------------------------------------------------------

@pytest.mark.spawns
def test_oci_run_through_a_server(fake: FakeOpenAIServer, oci_bin: str, tmp_path: Path) -> None:
    fake.script.replies.append("```python\nprint(6 * 7)\n```")
    fake.script.replies.append("The answer is 42.")
    proc = subprocess.run([oci_bin, "run", "print six times seven", "--base-url", fake.url,
                           "--json"], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["success"] is True and out["final_output"].strip() == "42"
    assert fake.script.requests[0]["model"] == "fake-coder"


@pytest.mark.spawns
@pytest.mark.parametrize("args, expect, code", [
    (["--base-url", "http://127.0.0.1:{port}/v1"], "no model server answers at", 5),
    # a bad value on the command line is a usage error (exit 2), as every other flag's
    (["--base-url", "localhost:8080"], "--base-url localhost:8080: give the server's http", 2),
    (["--base-url", "{url}", "--server-model", "nope"], "has no model 'nope'", 3),
])
def test_server_errors_are_one_line(fake: FakeOpenAIServer, oci_bin: str, tmp_path: Path,
                                    args: list[str], expect: str, code: int) -> None:
    args = [a.format(port=free_port(), url=fake.url) for a in args]
    proc = subprocess.run([oci_bin, "run", "x", *args], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert proc.returncode == code, proc.stderr
    assert expect in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_api_key_from_the_named_variable(fake: FakeOpenAIServer,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from oci_interpreter.backend.loader import load_backend

    fake.script.api_key = "team-key"
    monkeypatch.setenv("TEAM_LLM_KEY", "team-key")
    settings = Settings(base_url=fake.url, api_key_env="TEAM_LLM_KEY")
    b = load_backend(settings)
    assert isinstance(b, ServerBackend)
    assert b.chat(HELLO).text() == "Hello there."


@pytest.mark.spawns
def test_bench_jobs_comparison_against_a_server(fake: FakeOpenAIServer, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from oci_interpreter.cli.main import main_with_status

    words = " ".join(["filler"] * 30)
    fake.script.default_reply = (f"{words}\n```python\ndef similar_elements(a, b):\n"
                                 "    return tuple(set(a) & set(b))\n```")
    fake.script.chunk_delay_s = 0.03
    sample = Path(__file__).parent / "data" / "mbpp-sample.json"
    code = main_with_status(["bench", "mbpp", "--data", str(sample), "--no-speed", "--json",
                             "--rounds", "0", "--no-oracle", "--jobs", "1,3",
                             "--base-url", fake.url])
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(out)
    rows = summary["throughput"]
    assert [r["jobs"] for r in rows] == [1, 3] and summary["jobs"] == 3
    assert rows[0]["problems"] == rows[1]["problems"] == 3
    assert rows[0]["pass_at_1"] == rows[1]["pass_at_1"] == summary["single_turn"]["pass_at_1"]
    assert rows[1]["speedup"] > 1.5  # three requests overlapped on the server
    assert "throughput: 1 at once" in err and "throughput: 3 at once" in err


def test_bench_jobs_above_one_need_a_server(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from oci_interpreter.cli.main import main_with_status

    replies = tmp_path / "r.json"
    replies.write_text('["x"]')
    sample = Path(__file__).parent / "data" / "mbpp-sample.json"
    code = main_with_status(["bench", "mbpp", "--data", str(sample), "--no-speed",
                             "--jobs", "1,2", "--model", f"fake:{replies}"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "needs a model server" in err and "--base-url" in err
    code = main_with_status(["bench", "mbpp", "--data", str(sample), "--jobs", "0"])
    assert code == 2 and "is not a job count" in capsys.readouterr().err


def test_oci_serve_errors_are_one_line(capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("llama_cpp")
    from oci_interpreter.cli import serve_cmd
    from oci_interpreter.cli.main import main_with_status

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main_with_status(["serve", "--port", str(port)]) == 2
        assert capsys.readouterr().err.strip() == (
            f"oci: port {port} on 127.0.0.1 is already in use. Pick another with --port, or "
            "stop what listens there.")
    assert main_with_status(["serve", "--port", "70000"]) == 2
    assert "is not a port number" in capsys.readouterr().err
    real = serve_cmd.importlib.util.find_spec
    monkeypatch.setattr(serve_cmd.importlib.util, "find_spec",
                        lambda name: None if name == "fastapi" else real(name))
    assert main_with_status(["serve"]) == 3
    err = capsys.readouterr().err
    assert "needs llama-cpp-python's server extra (fastapi missing)" in err
    assert "pip install 'oci-interpreter[server]'" in err


def test_ctrl_c_with_jobs_stops_the_problems_under_way(fake: FakeOpenAIServer) -> None:
    import os
    import signal

    from oci_interpreter.bench.problems import mbpp
    from oci_interpreter.bench.suite import Plan, run_suite
    from oci_interpreter.sandbox.limits import Limits

    problems = mbpp(Path(__file__).parent / "data" / "mbpp-sample.json")
    # 200 different words, 10 s a reply (a repeated word would be cut as degenerate output)
    fake.script.default_reply = " ".join(f"word{i}" for i in range(200))
    fake.script.chunk_delay_s = 0.05
    b = backend(fake.url)
    threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()  # Ctrl-C
    start = time.perf_counter()
    result = run_suite(b, problems, Plan(rounds=0, rounds_run=0, oracle=False),
                       benchmark="mbpp", limits=Limits(timeout=5), jobs=3)
    assert result.interrupted and not result.finished
    assert time.perf_counter() - start < 5  # not the 10 s the replies under way would take
    deadline = time.time() + 5
    while fake.script.disconnects < 3 and time.time() < deadline:
        time.sleep(0.05)
    assert fake.script.disconnects == 3  # each stream was closed


def test_oci_serve_environment_cannot_move_the_server() -> None:
    from oci_interpreter.backend.serve import server_env

    user = {"PATH": "/bin", "PORT": "3000", "host": "0.0.0.0", "CONFIG_FILE": "x.json",
            "API_KEY": "someone-elses", "OCI_API_KEY": "k"}
    assert server_env(user, "") == {"PATH": "/bin", "OCI_API_KEY": "k"}
    assert server_env(user, "k")["API_KEY"] == "k"
