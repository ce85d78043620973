"""The developer's commands: `make run` gives the portal the address it serves on (seed_demo prints it: see
test_seed_demo_site_url.py), and `make bench` runs every benchmark even when one misses its goal."""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make_dry_run(*args: str, **variables: str) -> list[str]:
    """The commands ``make -n`` would run, in an environment without SITE_URL unless given."""
    environ = {key: value for key, value in os.environ.items() if key != "SITE_URL"}
    environ.update(variables)
    result = subprocess.run(  # noqa: S603 - make with fixed arguments
        ["make", "-n", *args],  # noqa: S607
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.splitlines()


def command_with(lines: list[str], needle: str) -> list[str]:
    (line,) = [line for line in lines if needle in line]
    return shlex.split(line)


# --- make run and the site address ----------------------------------------------------------------------------


@needs_make
def test_make_run_gives_runserver_and_seed_demo_the_address_it_serves_on():
    lines = make_dry_run("run", "PORT=8123")

    for needle in ("manage.py runserver", "manage.py seed_demo"):
        argv = command_with(lines, needle)
        assert "SITE_URL=http://127.0.0.1:8123" in argv
    assert command_with(lines, "manage.py runserver")[-1] == "127.0.0.1:8123"


@needs_make
def test_make_run_keeps_a_site_url_that_is_already_set():
    lines = make_dry_run("run", "PORT=8123", SITE_URL="https://demo.example")

    assert "SITE_URL=https://demo.example" in command_with(lines, "manage.py runserver")


# --- make bench -------------------------------------------------------------------------------------------------


def run_runner(*scripts: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - the project's own runner
        [sys.executable, str(BENCH / "run_all.py"), *map(str, scripts)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_bench_runner_runs_every_script_after_a_failure_and_reports_them_all(tmp_path):
    marker = tmp_path / "second-ran"
    first = tmp_path / "misses_goal.py"
    first.write_text("print('goal: NOT MET'); raise SystemExit(1)\n")
    second = tmp_path / "meets_goal.py"
    second.write_text(f"import pathlib; pathlib.Path({str(marker)!r}).write_text('yes'); print('goal: MET')\n")

    result = run_runner(first, second)

    assert result.returncode == 1
    assert marker.read_text() == "yes"  # the second benchmark ran after the first one failed
    out = result.stdout
    assert "goal: NOT MET" in out
    assert "goal: MET" in out
    report = out[out.index("=== benchmarks ===") :]
    assert re.search(r"misses_goal\.py\s+FAILED \(exit status 1\)", report)
    assert re.search(r"meets_goal\.py\s+passed", report)
    assert "1 passed, 1 failed" in report


def test_bench_runner_exits_zero_when_every_benchmark_passes(tmp_path):
    scripts = []
    for name in ("a.py", "b.py"):
        scripts.append(tmp_path / name)
        scripts[-1].write_text("print('ok')\n")

    result = run_runner(*scripts)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed, 0 failed" in result.stdout


def test_bench_runner_lists_every_benchmark():
    """Every script under bench/ that runs as a program is a benchmark, and the runner knows it."""
    sys.path.insert(0, str(BENCH))
    try:
        import run_all
    finally:
        sys.path.remove(str(BENCH))
    programs = {
        path.name
        for path in BENCH.glob("*.py")
        if path.name != "run_all.py" and 'if __name__ == "__main__":' in path.read_text()
    }
    assert programs >= {"parse_urls.py", "import_listings.py", "http_ceiling.py"}
    assert sorted(run_all.BENCHMARKS) == sorted(programs)


@needs_make
def test_make_bench_runs_the_runner():
    lines = make_dry_run("bench")

    assert command_with(lines, "bench/")[-1] == "bench/run_all.py"
