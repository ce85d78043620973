"""Run every benchmark, one after the other, and report them all at the end.

    python bench/run_all.py               # every benchmark in BENCHMARKS (what `make bench` runs)
    python bench/run_all.py SCRIPT ...    # only these scripts (paths, or names under bench/)

A benchmark that misses its goal exits non-zero; the others still run. The summary lists each one as passed or
failed (with its exit status and time), and this script exits 1 when any failed, so CI sees the miss.
"""

import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent

# Quick ones first, so a slow database benchmark does not delay the figures a developer usually wants.
# review.py, review_queue.py, pages.py, deadlines.py and establish.py need PostgreSQL on 127.0.0.1, webhooks.py also
# Redis and starts a Celery worker (see their docstrings).
BENCHMARKS = [
    "parse_urls.py",
    "import_listings.py",
    "http_ceiling.py",
    "upload.py",
    "claim_submit.py",
    "api.py",
    "standing.py",
    "review.py",
    "review_queue.py",
    "pages.py",
    "deadlines.py",
    "establish.py",
    "webhooks.py",
]


def resolve(name: str) -> Path:
    path = Path(name)
    return path if path.is_file() else BENCH_DIR / name


def run_all(scripts: list[Path]) -> list[tuple[Path, int, float]]:
    """Each script in a child process of this interpreter, from the project root: (script, exit status, seconds)."""
    results = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        started = time.monotonic()
        try:
            status = subprocess.run([sys.executable, str(script)], cwd=ROOT, check=False).returncode
        except OSError as exc:  # the script could not be started at all
            print(f"could not run {script}: {exc}", flush=True)
            status = 127
        results.append((script, status, time.monotonic() - started))
    return results


def summary(results: list[tuple[Path, int, float]]) -> str:
    lines = ["", "=== benchmarks ==="]
    for script, status, seconds in results:
        verdict = "passed" if status == 0 else f"FAILED (exit status {status})"
        lines.append(f"  {script.name:<24} {verdict:<28} {seconds:8.1f} s")
    failed = sum(1 for _, status, _ in results if status != 0)
    lines.append(f"{len(results) - failed} passed, {failed} failed")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    scripts = [resolve(name) for name in (argv or BENCHMARKS)]
    try:
        results = run_all(scripts)
    except KeyboardInterrupt:
        print("\ninterrupted", flush=True)
        return 130
    print(summary(results), flush=True)
    return 0 if all(status == 0 for _, status, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
