"""How much of a bare Django's HTTP throughput the project keeps once its middleware stack is in the way.

Starts gunicorn twice on free loopback ports (2 sync workers each):

(a) the project: ``ipp_portal.settings`` as deployed (DEBUG off, full middleware), on an embedded SQLite in a
    temporary IPP_VAR_DIR that is migrated first;
(b) the ceiling: ``bench.settings_nomiddleware`` (the same settings with ``MIDDLEWARE = []``).

It then runs wrk against (a) at ``--path`` (default /ping) and (b) at ``--baseline-path`` (default /ping),
interleaved a, b, a, b, ... so that both see the same machine noise, each run preceded by a short warm-up.
It prints requests/s for both, the ratio project / ceiling against the goal, and writes the figures as JSON
under bench/out/ for later benchmarks to quote ratios to the ceiling.

    python bench/http_ceiling.py [--path /ping] [--duration 8] [--rounds 2]

Only 127.0.0.1 is ever targeted.
"""

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import BIN, HOST, OUT_DIR, run_wrk  # noqa: E402

GOAL = 0.60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def base_env(var_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("GUNICORN_CMD_ARGS", None)
    env.update(
        {
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": HOST,
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "SITE_URL": f"http://{HOST}",
            "IPP_VAR_DIR": str(var_dir),
            # Explicit, so that a developer's .env (read by the settings) cannot point the servers elsewhere.
            "DATABASE_URL": f"sqlite:///{var_dir / 'db.sqlite3'}",
            "REDIS_URL": "",
            "LOG_LEVEL": "WARNING",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


class Server:
    """One gunicorn in its own process group, so that stopping it stops its workers too."""

    def __init__(self, name: str, settings_module: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.log_path = log_dir / f"gunicorn-{name}.log"
        env = {**env, "DJANGO_SETTINGS_MODULE": settings_module}
        # No --access-logfile: access logging stays off.
        cmd = [str(BIN / "gunicorn"), "ipp_portal.wsgi:application", "--bind", f"{HOST}:{self.port}"]
        cmd += ["--workers", "2", "--worker-class", "sync", "--no-control-socket", "--chdir", str(ROOT)]
        cmd += ["--log-level", "warning"]
        # gunicorn's own log and Django's (console handler, stderr) both go to one file, read on failures.
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                cmd, env=env, cwd=ROOT, start_new_session=True, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def wait_ready(self, path: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn ({self.name}) exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.get(path)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn ({self.name}) did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        pgid = self.proc.pid  # start_new_session: the arbiter leads its own process group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            self.proc.poll()
            try:
                os.killpg(pgid, 0)  # anything (arbiter or an orphaned worker) still in the group?
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def check_page(server: Server, path: str, *, expect_middleware: bool) -> int:
    status, headers, body = server.get(path)
    if status >= 500:
        hint = ""
        if "staticfiles manifest" in server.log_tail(200):
            hint = (
                "\nWith DEBUG off, pages using {% static %} need the manifest: run `manage.py collectstatic` "
                "(STATIC_ROOT is staticfiles/) before measuring them."
            )
        raise RuntimeError(f"{server.name} {path} answered {status}:\n{server.log_tail()}{hint}")
    if status >= 300:
        where = headers.get("location")
        print(f"  WARNING: {server.name} {path} answered {status}, not 2xx (location: {where})")
    if path == "/ping" and (status, body) != (200, b"ok"):
        raise RuntimeError(f"{server.name} /ping answered {status} {body[:200]!r}, expected 200 b'ok'")
    # X-Frame-Options comes from XFrameOptionsMiddleware: proof of which stack answered.
    has_middleware = "x-frame-options" in headers
    if has_middleware != expect_middleware:
        raise RuntimeError(
            f"{server.name}: middleware {'missing' if expect_middleware else 'present'} (headers: {sorted(headers)})"
        )
    return status


def default_out(path: str) -> Path:
    if path == "/ping":
        return OUT_DIR / "http_ceiling.json"
    slug = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "root"
    return OUT_DIR / f"http_{slug}.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", default="/ping", help="page the project serves under load (default /ping)")
    parser.add_argument("--baseline-path", default="/ping", help="page the no-middleware ceiling serves")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds of each measured wrk run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of wrk before each measured run")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved a/b rounds (best of each is used)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--goal", type=float, default=GOAL)
    parser.add_argument("--out", type=Path, default=None, help="JSON output (default bench/out/http_*.json)")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when the goal is not met")
    args = parser.parse_args()
    for name in ("path", "baseline_path"):
        if not getattr(args, name).startswith("/"):
            parser.error(f"--{name.replace('_', '-')} must start with /")

    # A SIGTERM (from a CI timeout, say) must still run the finally below and stop the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    tmp = Path(tempfile.mkdtemp(prefix="ipp-http-bench-"))
    servers: list[Server] = []
    try:
        env = base_env(tmp)
        migrate = [sys.executable, str(ROOT / "manage.py"), "migrate", "--no-input", "-v", "0"]
        done = subprocess.run(migrate, env={**env, "DJANGO_SETTINGS_MODULE": "ipp_portal.settings"}, cwd=ROOT)
        if done.returncode != 0:
            print("migrate failed (see above): the project does not start, nothing was measured", file=sys.stderr)
            return 2
        project = Server("project", "ipp_portal.settings", env, tmp)
        servers.append(project)
        ceiling = Server("no-middleware", "bench.settings_nomiddleware", env, tmp)
        servers.append(ceiling)
        project.wait_ready(args.path)
        ceiling.wait_ready(args.baseline_path)
        project_status = check_page(project, args.path, expect_middleware=True)
        check_page(ceiling, args.baseline_path, expect_middleware=False)

        print(
            f"HTTP ceiling: gunicorn 2 sync workers each, wrk -t{args.threads} -c{args.connections} "
            f"-d{args.duration:g}s (+{args.warmup:g}s warm-up), {args.rounds} interleaved rounds, "
            f"{os.cpu_count()} CPUs"
        )
        runs: dict[str, list[dict]] = {"project": [], "no_middleware": []}
        targets = [("project", project, args.path), ("no_middleware", ceiling, args.baseline_path)]
        for round_no in range(1, args.rounds + 1):
            for key, server, path in targets:
                load = {"threads": args.threads, "connections": args.connections}
                if args.warmup > 0:
                    run_wrk(server.url(path), duration=args.warmup, **load)
                result = run_wrk(server.url(path), duration=args.duration, **load)
                runs[key].append(result)
                flags = ""
                if result["non_2xx_3xx"] or result["socket_errors"]:
                    flags = f"  (non-2xx/3xx {result['non_2xx_3xx']}, socket errors {result['socket_errors']}"
                    flags += ")"
                print(
                    f"  round {round_no}  {key:<14} {path:<20} {result['rps']:>9.1f} req/s  "
                    f"latency avg {result['latency_avg']}{flags}"
                )

        best = {key: max(r["rps"] for r in results) for key, results in runs.items()}
        median = {key: statistics.median(r["rps"] for r in results) for key, results in runs.items()}
        ratio = best["project"] / best["no_middleware"]
        ratio_median = median["project"] / median["no_middleware"]
        met = ratio >= args.goal
        print()
        print(f"  project        {args.path:<20} best {best['project']:>9.1f} req/s  median {median['project']:>9.1f}")
        print(
            f"  no middleware  {args.baseline_path:<20} best {best['no_middleware']:>9.1f} req/s  "
            f"median {median['no_middleware']:>9.1f}"
        )
        print(f"  ratio project / no-middleware: {ratio:.3f} (best of each; medians give {ratio_median:.3f})")
        print(f"  goal >= {args.goal:.2f}: {'MET' if met else 'NOT MET'}")

        out = args.out or default_out(args.path)
        out.parent.mkdir(parents=True, exist_ok=True)
        figures = {
            "benchmark": "http_ceiling",
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "host": platform.node(),
            "cpus": os.cpu_count(),
            "server": "gunicorn, 2 sync workers, access log off, DEBUG off, SQLite",
            "wrk": {
                "threads": args.threads,
                "connections": args.connections,
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "rounds": args.rounds,
            },
            "path": args.path,
            "path_status": project_status,
            "baseline_path": args.baseline_path,
            "project_rps": best["project"],
            "no_middleware_rps": best["no_middleware"],
            "ceiling_rps": best["no_middleware"],
            "project_rps_median": median["project"],
            "no_middleware_rps_median": median["no_middleware"],
            "ratio": round(ratio, 4),
            "ratio_median": round(ratio_median, 4),
            "goal": args.goal,
            "met": met,
            "runs": runs,
        }
        out.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"  figures written to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
        return 1 if args.strict and not met else 0
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
