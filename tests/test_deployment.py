"""The deployment files (Dockerfile, docker-compose.yml, .env.example) checked against the code they start.

No Docker engine is needed: docker-compose.yml is read with PyYAML and everything it relies on is looked up
in the project: the modules and management commands its commands run, the settings variables it sets, the
URL its web healthcheck requests. The production settings are loaded in subprocesses (this process runs the
test settings). None of these tests touches a database.
"""

import ast
import importlib
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.core.management import get_commands
from django.urls import resolve

ROOT = Path(__file__).resolve().parents[1]
SETTINGS_FILE = ROOT / "ipp_portal" / "settings.py"
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"

# django-environ readers (env.str(...), env.db_url(...), ...).
ENV_READERS = {
    "str", "bool", "int", "float", "list", "tuple", "dict", "json", "url", "path", "parse_value",
    "db_url", "db", "cache_url", "cache", "email_url", "email", "search_url", "channels_url",
}  # fmt: skip
# Variables an app container may set that the settings do not read: Python's, pip's, gunicorn's, Django's own.
STANDARD_VARIABLES = {
    "DJANGO_SETTINGS_MODULE", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "PYTHONHASHSEED",
    "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK", "TZ", "LANG", "LC_ALL", "WEB_CONCURRENCY",
    "GUNICORN_CMD_ARGS",
}  # fmt: skip
# What a deployer provides (docker compose refuses to start without these); values for rendering the file.
DEPLOYER_ENV = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
    "MINIO_ROOT_USER": "minio-admin",
    "MINIO_ROOT_PASSWORD": secrets.token_urlsafe(24),
    "AWS_ACCESS_KEY_ID": "ipp-portal-app",
    "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(24),
}
# The only variables of this process the production-settings subprocesses inherit.
OS_VARIABLES = {"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TEMP", "TMP", "SYSTEMROOT"}
SECRET_NAME = re.compile(r"SECRET|PASSWORD")
SHELLS = {"sh", "/bin/sh", "bash", "/bin/bash"}


# --- Reading the files --------------------------------------------------------------------------------------


def _is_env_object(node: ast.expr) -> bool:
    """``env`` or ``environ.Env()`` / ``Env()``: the receivers of django-environ reads in settings.py."""
    if isinstance(node, ast.Name):
        return node.id == "env"
    if isinstance(node, ast.Call):
        func = node.func
        return (isinstance(func, ast.Attribute) and func.attr == "Env") or (
            isinstance(func, ast.Name) and func.id == "Env"
        )
    return False


@cache
def settings_variables() -> frozenset[str]:
    """Every environment variable settings.py reads through django-environ, found in its syntax tree."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS_FILE.read_text(), filename=str(SETTINGS_FILE))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        method = isinstance(func, ast.Attribute) and func.attr in ENV_READERS and _is_env_object(func.value)
        is_read = method or _is_env_object(func)
        first = node.args[0]
        if is_read and isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return frozenset(names)


@cache
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def services() -> dict[str, dict]:
    return compose()["services"]


def app_services() -> dict[str, dict]:
    """The services running this project's image (built from the Dockerfile)."""
    return {name: svc for name, svc in services().items() if "build" in svc}


def one_shots() -> set[str]:
    """Services that run to completion: not restarted, and awaited with service_completed_successfully."""
    awaited = {
        dep
        for svc in services().values()
        for dep, spec in (svc.get("depends_on") or {}).items()
        if spec.get("condition") == "service_completed_successfully"
    }
    return {name for name in awaited if str(services()[name].get("restart", "no")) == "no"}


class MissingVariable(Exception):
    pass


_INTERPOLATION = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>[A-Za-z_]\w*)"
)


def interpolate(value, environ: dict[str, str]) -> str:
    """docker compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error} and $$."""

    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg")
        present = name in environ if op in ("-", "?") else bool(environ.get(name))
        if op in (":-", "-"):
            return environ[name] if present else arg
        if op in (":?", "?") and not present:
            raise MissingVariable(f"{name}: {arg}")
        return environ.get(name, "")

    return _INTERPOLATION.sub(substitute, str(value))


def service_env(name: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    raw = services()[name].get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    environ = DEPLOYER_ENV if environ is None else environ
    return {key: interpolate(value, environ) for key, value in raw.items()}


def compose_variables() -> set[str]:
    """Names docker compose substitutes from the deployer's environment or .env."""
    text = COMPOSE_FILE.read_text().replace("$$", "")
    return {m.group("name") or m.group("bare") for m in _INTERPOLATION.finditer(text)}


@cache
def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip()
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        keyword, _, args = current.strip().partition(" ")
        logical.append((keyword.upper(), args.strip()))
        current = ""
    return logical


def dockerfile(instruction: str) -> list[str]:
    return [args for keyword, args in dockerfile_instructions() if keyword == instruction]


def dockerfile_cmd() -> list[str]:
    (cmd,) = dockerfile("CMD")[-1:]
    return json.loads(cmd)  # exec form: a JSON array


def dockerfile_env() -> dict[str, str]:
    found = {}
    for args in dockerfile("ENV"):
        for token in shlex.split(args):
            name, _, value = token.partition("=")
            found[name] = value
    return found


def env_example_names() -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))


# --- Commands -----------------------------------------------------------------------------------------------


def command_lines(command) -> list[list[str]]:
    """A compose/Dockerfile command as the argument vectors it runs (``sh -c "a && exec b"`` gives two)."""
    tokens = shlex.split(command) if isinstance(command, str) else [str(part) for part in command]
    if tokens[:1] == ["CMD"]:
        tokens = tokens[1:]
    elif tokens[:1] == ["CMD-SHELL"]:
        return command_lines(["sh", "-c", " ".join(tokens[1:])])
    if len(tokens) >= 3 and tokens[0] in SHELLS and tokens[1].startswith("-") and "c" in tokens[1]:
        lines = []
        for part in re.split(r"&&|\|\||;|\n", tokens[2]):
            argv = shlex.split(part)
            if argv[:1] == ["exec"]:
                argv = argv[1:]
            if argv:
                lines.append(argv)
        return lines
    return [tokens]


def option(argv: list[str], *names: str) -> str | None:
    """The value of a command-line option, as ``--name value``, ``--name=value`` or ``-Xvalue``."""
    for index, token in enumerate(argv):
        for name in names:
            if token == name and index + 1 < len(argv):
                return argv[index + 1]
            if name.startswith("--") and token.startswith(name + "="):
                return token.split("=", 1)[1]
            if not name.startswith("--") and token.startswith(name) and len(token) > len(name):
                return token[len(name) :]
    return None


def celery_cli_commands() -> set[str]:
    from celery.bin.celery import celery

    return set(celery.commands)


def check_runnable(argv: list[str]) -> str:
    """Fail unless the program and whatever it loads from this project exist; return the kind of process."""
    program = Path(argv[0]).name
    if program.startswith("python"):
        if argv[1:2] == ["-c"]:
            compile(argv[2], "<command>", "exec")
            return "python -c"
        assert argv[1:2] == ["manage.py"], f"unexpected python invocation: {argv}"
        assert (ROOT / "manage.py").is_file()
        assert argv[2] in get_commands(), f"manage.py has no command {argv[2]!r}"
        return f"manage.py {argv[2]}"
    if program == "gunicorn":
        targets = [t for t in argv[1:] if re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", t)]
        assert len(targets) == 1, f"gunicorn needs one module:attribute, got {argv}"
        module, attribute = targets[0].split(":")
        application = getattr(importlib.import_module(module), attribute, None)
        assert callable(application), f"{targets[0]} is not a WSGI callable"
        assert option(argv, "--bind", "-b"), "gunicorn must bind an address outside the container can reach"
        return "gunicorn"
    if program == "celery":
        from celery import Celery
        from celery.app.utils import find_app

        app_name = option(argv, "-A", "--app")
        assert app_name, f"celery without -A: {argv}"
        assert isinstance(find_app(app_name), Celery), f"celery -A {app_name} does not find a Celery app"
        subcommands = [t for t in argv[1:] if t in celery_cli_commands()]
        assert subcommands, f"no celery subcommand in {argv}"
        return f"celery {subcommands[0]}"
    raise AssertionError(f"unknown executable {argv[0]!r} in {argv}")


def service_command(name: str) -> list[list[str]]:
    svc = services()[name]
    return command_lines(svc.get("command") or dockerfile_cmd())


def service_kind(name: str) -> str:
    return check_runnable(service_command(name)[-1])


def healthcheck_argvs(name: str) -> list[list[str]]:
    """The argument vectors a service's healthcheck runs, after docker compose's substitution ($$ -> $)."""
    test = services()[name]["healthcheck"]["test"]
    return command_lines([interpolate(part, {}) for part in test] if isinstance(test, list) else test)


def web_healthcheck_url():
    (url,) = re.findall(r"https?://[^'\"\s]+", " ".join(services()["web"]["healthcheck"]["test"]))
    return urlsplit(url)


# --- Subprocesses with the production settings --------------------------------------------------------------


def deployed_settings() -> dict[str, str]:
    """The variables a deployment sets at the least: DEBUG off, a fresh secret key, its host and address."""
    return {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "ipp.example.com",
        "SITE_URL": "https://ipp.example.com",
    }


def production_environ(tmp_path: Path, **variables: str) -> dict[str, str]:
    """A clean environment running ipp_portal.settings.

    Only the OS basics are kept from this process: no settings variable from CI (DATABASE_URL, REDIS_URL) and
    nothing other tests put into os.environ (DJANGO_ALLOW_ASYNC_UNSAFE) leaks into the production settings.
    """
    environ = {key: value for key, value in os.environ.items() if key in OS_VARIABLES}
    environ.update(DJANGO_SETTINGS_MODULE="ipp_portal.settings", IPP_VAR_DIR=str(tmp_path))
    environ.update(variables)
    return environ


def run(argv: list[str], environ: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - a fixed argv run by sys.executable
        [sys.executable, *argv],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


SETTINGS_DUMP = """
import json
from django.conf import settings as s
storage = s.STORAGES["default"]
print(json.dumps({
    "DEBUG": s.DEBUG,
    "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SECURE_REDIRECT_EXEMPT": s.SECURE_REDIRECT_EXEMPT,
    "DATABASE": {k: s.DATABASES["default"][k] for k in ("ENGINE", "HOST", "PORT", "NAME", "USER")},
    "CACHE_BACKEND": s.CACHES["default"]["BACKEND"],
    "CELERY_BROKER_URL": s.CELERY_BROKER_URL,
    "CELERY_TASK_ALWAYS_EAGER": s.CELERY_TASK_ALWAYS_EAGER,
    "STORAGE_BACKEND": storage["BACKEND"],
    "BUCKET": storage["OPTIONS"].get("bucket_name"),
    "ENDPOINT": storage["OPTIONS"].get("endpoint_url"),
    "EMAIL_BACKEND": s.EMAIL_BACKEND,
}))
"""


# --- The settings and .env.example --------------------------------------------------------------------------


def test_settings_variables_are_found():
    """The parser sees the reads settings.py makes (else every test below would pass vacuously)."""
    found = settings_variables()
    expected = {"DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DATABASE_URL", "EMAIL_URL", "REDIS_URL", "IPP_VAR_DIR"}
    assert expected <= found
    assert len(found) >= 20


def test_env_example_documents_every_settings_variable():
    missing = settings_variables() - env_example_names()
    assert not missing, f".env.example does not document: {sorted(missing)}"


def test_env_example_documents_every_compose_variable():
    missing = compose_variables() - env_example_names()
    assert not missing, f".env.example does not document the docker-compose.yml variables {sorted(missing)}"


def test_env_example_blocks_give_default_and_production_value():
    blocks = ENV_EXAMPLE.read_text().split("\n\n")
    for name in sorted(settings_variables()):
        (block,) = [b for b in blocks if re.search(rf"^#?\s*{name}=", b, flags=re.MULTILINE)]
        assert re.search(rf"^# {name}\b.* — ", block, flags=re.MULTILINE), f"{name}: no description line"
        assert "# Default:" in block, f"{name}: no default documented"
        assert "# Production:" in block, f"{name}: no production example"


def test_env_example_holds_no_secret_and_changes_nothing_when_copied():
    """As shipped every assignment is commented out; secrets are empty placeholders even there."""
    for line in ENV_EXAMPLE.read_text().splitlines():
        assert not re.match(r"\s*[A-Za-z_]\w*=", line), f"active assignment in .env.example: {line!r}"
        match = re.match(r"#\s*([A-Z][A-Z0-9_]*)=(.*)", line)
        if match and SECRET_NAME.search(match.group(1)):
            assert match.group(2) == "", f"{match.group(1)} must be an empty placeholder"


def test_settings_refuse_to_load_without_secret_key_when_debug_is_off(tmp_path):
    # Set but empty: the same as unset to the settings, and a developer's .env cannot fill it in.
    environ = production_environ(tmp_path, DJANGO_DEBUG="false", DJANGO_SECRET_KEY="")
    result = run(["manage.py", "check"], environ)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stdout + result.stderr


def test_settings_refuse_to_load_when_secret_key_is_unset(tmp_path):
    dotenv = ROOT / ".env"
    if dotenv.is_file() and re.search(r"^\s*DJANGO_SECRET_KEY=\S", dotenv.read_text(), flags=re.MULTILINE):
        pytest.skip("the local .env sets DJANGO_SECRET_KEY")
    environ = production_environ(tmp_path, DJANGO_DEBUG="false")
    environ.pop("DJANGO_SECRET_KEY", None)
    result = run(["manage.py", "check"], environ)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stdout + result.stderr


def test_settings_refuse_to_load_without_site_url_when_debug_is_off(tmp_path):
    environ = production_environ(tmp_path, DJANGO_DEBUG="false", DJANGO_SECRET_KEY=secrets.token_urlsafe(64))
    result = run(["manage.py", "check"], environ)
    assert result.returncode != 0
    assert "SITE_URL must be set" in result.stdout + result.stderr


def test_production_settings_pass_the_deployment_checks(tmp_path):
    environ = production_environ(tmp_path, **deployed_settings())
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], environ)
    assert result.returncode == 0, result.stdout + result.stderr


# --- docker-compose.yml -------------------------------------------------------------------------------------


def test_compose_has_the_expected_services():
    assert set(app_services()) == {"migrate", "web", "worker", "beat"}
    assert {"postgres", "redis", "minio", "createbucket"} <= set(services())
    assert services()["postgres"]["image"].startswith("postgres:15")
    assert services()["redis"]["image"].startswith("redis:7")
    assert "minio/minio" in services()["minio"]["image"]
    assert services()["minio"]["command"][:2] == ["server", "/data"]


def test_every_service_has_a_healthcheck_or_is_a_one_shot():
    for name, svc in services().items():
        healthcheck = svc.get("healthcheck") or {}
        if name in one_shots():
            continue
        assert healthcheck.get("test"), f"{name} has no healthcheck"
        assert not healthcheck.get("disable"), f"{name} has its healthcheck disabled"
        assert svc.get("restart") in ("always", "unless-stopped", "on-failure"), f"{name} is not restarted"


def test_dependencies_wait_for_health_or_completion():
    for name, svc in services().items():
        for dependency, spec in (svc.get("depends_on") or {}).items():
            assert dependency in services(), f"{name} depends on unknown service {dependency}"
            condition = spec.get("condition")
            if condition == "service_healthy":
                assert services()[dependency].get("healthcheck"), f"{name} waits for {dependency}'s health"
            else:
                assert condition == "service_completed_successfully", f"{name} -> {dependency}: {condition}"
                assert dependency in one_shots(), f"{dependency} is awaited to complete but is restarted"


def test_one_shots_are_migrate_and_createbucket():
    assert one_shots() == {"migrate", "createbucket"}
    assert service_kind("migrate") == "manage.py migrate"
    assert "--no-input" in service_command("migrate")[-1] or "--noinput" in service_command("migrate")[-1]
    for name in ("web", "worker", "beat"):
        assert services()[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_every_app_command_runs_something_that_exists():
    kinds = {name: service_kind(name) for name in app_services()}
    for name in app_services():
        for argv in service_command(name):
            check_runnable(argv)
    assert kinds == {
        "migrate": "manage.py migrate",
        "web": "gunicorn",
        "worker": "celery worker",
        "beat": "celery beat",
    }


def test_every_healthcheck_command_of_the_app_exists():
    for name in set(app_services()) - one_shots():
        for argv in healthcheck_argvs(name):
            check_runnable(argv)


def test_app_services_set_only_variables_the_settings_read():
    for name in app_services():
        unknown = set(service_env(name)) - settings_variables() - STANDARD_VARIABLES
        assert not unknown, f"{name} sets variables nothing reads: {sorted(unknown)}"


def test_every_settings_variable_is_configurable_in_compose_or_the_image():
    configurable = set(service_env("web")) | set(dockerfile_env())
    missing = settings_variables() - configurable
    assert not missing, f"neither docker-compose.yml nor the Dockerfile sets {sorted(missing)}"


def test_app_services_share_one_environment_and_image():
    web = service_env("web")
    for name in app_services():
        assert service_env(name) == web, f"{name} has a different environment from web"
        assert services()[name]["image"] == services()["web"]["image"]
    assert web["DJANGO_DEBUG"] == "false"
    assert web["CELERY_TASK_ALWAYS_EAGER"] == "false"


def test_secrets_have_no_default_in_compose():
    """docker compose refuses to start rather than run with a made-up secret."""
    for name, svc in services().items():
        for key, value in (svc.get("environment") or {}).items():
            if SECRET_NAME.search(key):
                required = re.fullmatch(r"\$\{\w+:\?[^}]*\}", str(value))
                assert required, f"{name}.{key} must be ${{VAR:?message}}"
    for key in ("DJANGO_SECRET_KEY", "DATABASE_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        with pytest.raises(MissingVariable):
            interpolate(services()["web"]["environment"][key], {})


def test_web_healthcheck_requests_a_url_the_app_serves_over_plain_http():
    parts = web_healthcheck_url()
    bind = option(service_command("web")[-1], "--bind", "-b")
    assert parts.scheme == "http"
    assert parts.port == int(bind.rsplit(":", 1)[1])
    match = resolve(parts.path)
    assert match.url_name == "healthz"
    assert parts.hostname in service_env("web")["DJANGO_ALLOWED_HOSTS"].split(",")


def test_worker_healthcheck_pings_the_workers_own_node_name():
    worker = service_command("worker")[-1]
    # The default node name, celery@<hostname>, or that name spelt out.
    assert option(worker, "-n", "--hostname") in (None, "celery@%h")
    (argv,) = healthcheck_argvs("worker")
    assert argv[argv.index("inspect") + 1] == "ping"
    assert option(argv, "-d", "--destination") == "celery@$HOSTNAME"


def test_beat_healthcheck_watches_its_schedule_file():
    schedule = option(service_command("beat")[-1], "-s", "--schedule")
    assert schedule
    assert schedule.startswith("/tmp/")  # noqa: S108 - writable by the image's unprivileged user
    assert schedule in " ".join(services()["beat"]["healthcheck"]["test"])


def test_app_services_depend_on_the_backing_services_they_use():
    env = service_env("web")
    hosts = {
        "DATABASE_URL": urlsplit(env["DATABASE_URL"]).hostname,
        "REDIS_URL": urlsplit(env["REDIS_URL"]).hostname,
        "AWS_S3_ENDPOINT_URL": urlsplit(env["AWS_S3_ENDPOINT_URL"]).hostname,
    }
    assert set(hosts.values()) <= set(services()), f"URLs point at unknown services: {hosts}"

    def reachable(name: str) -> set[str]:
        found, todo = set(), [name]
        while todo:
            for dependency in services()[todo.pop()].get("depends_on") or {}:
                if dependency not in found:
                    found.add(dependency)
                    todo.append(dependency)
        return found

    uses = {"web": set(hosts), "worker": set(hosts), "migrate": {"DATABASE_URL"}, "beat": {"REDIS_URL"}}
    for name, variables in uses.items():
        missing = {hosts[v] for v in variables} - reachable(name)
        assert not missing, f"{name} does not wait for {sorted(missing)}"


def test_backing_services_match_the_app_urls():
    env = service_env("web")
    database = urlsplit(env["DATABASE_URL"])
    postgres = service_env("postgres")
    assert database.scheme in ("postgres", "postgresql")
    assert database.username == postgres["POSTGRES_USER"]
    assert database.password == postgres["POSTGRES_PASSWORD"]
    assert database.path.lstrip("/") == postgres["POSTGRES_DB"]
    createbucket = service_env("createbucket")
    assert createbucket["BUCKET"] == env["AWS_STORAGE_BUCKET_NAME"]
    assert createbucket["APP_ACCESS_KEY"] == env["AWS_ACCESS_KEY_ID"]
    assert createbucket["APP_SECRET_KEY"] == env["AWS_SECRET_ACCESS_KEY"]
    assert createbucket["APP_ACCESS_KEY"] != service_env("minio")["MINIO_ROOT_USER"]
    script = " ".join(services()["createbucket"]["command"])
    assert "mc mb --ignore-existing" in script
    assert "mc anonymous set none" in script


def test_named_volumes_are_declared():
    declared = set(compose().get("volumes") or {})
    used = {
        volume.split(":", 1)[0]
        for svc in services().values()
        for volume in svc.get("volumes") or []
        if not volume.startswith((".", "/", "~"))
    }
    assert used == declared
    for name in ("postgres", "redis", "minio"):
        assert services()[name].get("volumes"), f"{name} keeps its data in no volume"


def test_compose_environment_gives_a_production_configuration(tmp_path):
    """The app containers' environment, rendered as docker compose would, loaded by the real settings."""
    environ = production_environ(tmp_path, **service_env("web"))
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], environ)
    assert result.returncode == 0, result.stdout + result.stderr

    result = run(["-c", SETTINGS_DUMP], environ)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["DEBUG"] is False
    assert loaded["SECURE_SSL_REDIRECT"] is True
    assert "127.0.0.1" in loaded["ALLOWED_HOSTS"]
    assert "" not in loaded["ALLOWED_HOSTS"]
    # The healthcheck's plain-HTTP request is not redirected to HTTPS (SecurityMiddleware's own test).
    path = web_healthcheck_url().path
    assert any(re.search(pattern, path.lstrip("/")) for pattern in loaded["SECURE_REDIRECT_EXEMPT"])
    assert loaded["DATABASE"]["ENGINE"] == "django.db.backends.postgresql"
    assert loaded["DATABASE"]["HOST"] == "postgres"
    assert loaded["CACHE_BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert loaded["CELERY_BROKER_URL"].startswith("redis://redis:")
    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is False
    assert loaded["STORAGE_BACKEND"] == "storages.backends.s3.S3Storage"
    assert loaded["BUCKET"] == service_env("createbucket")["BUCKET"]
    assert loaded["ENDPOINT"] == "http://minio:9000"


# --- Dockerfile and .dockerignore ---------------------------------------------------------------------------


def test_dockerfile_base_image_and_system_packages():
    assert dockerfile("FROM")[0] == "python:3.11-slim-bookworm"
    assert any("libmagic1" in run_ for run_ in dockerfile("RUN"))
    assert any(re.search(r"pip install (--\S+ )*\.(\s|$)", run_) for run_ in dockerfile("RUN"))


def test_dockerfile_default_command_serves_the_wsgi_application():
    assert check_runnable(dockerfile_cmd()) == "gunicorn"
    bind = option(dockerfile_cmd(), "--bind", "-b")
    assert bind.startswith("0.0.0.0:")
    assert dockerfile("EXPOSE") == [bind.rsplit(":", 1)[1]]
    assert not dockerfile("ENTRYPOINT")


def test_dockerfile_runs_as_an_unprivileged_user():
    users = dockerfile("USER")
    assert users
    assert users[-1].split(":")[0] not in ("root", "0")


def test_dockerfile_collects_static_files_with_debug_off_and_a_throwaway_key():
    (collect,) = [run_ for run_ in dockerfile("RUN") if "collectstatic" in run_]
    assert "DJANGO_DEBUG=false" in collect
    assert "DJANGO_SECRET_KEY=" in collect
    assert "SITE_URL=" in collect
    assert "DJANGO_SECRET_KEY" not in dockerfile_env()  # the throwaway key does not stay in the image
    assert "SITE_URL" not in dockerfile_env()
    for argv in command_lines(["sh", "-c", collect]):
        while argv and re.fullmatch(r"[A-Z_]+=\S*", argv[0]):
            argv = argv[1:]
        if "manage.py" in argv:
            check_runnable(argv)


def test_dockerfile_collectstatic_step_runs(tmp_path):
    """The build's collectstatic step, run as the build runs it: its shell line as written, the image's ENV and the
    step's own variables, from the project root (the image's /app). It writes to staticfiles/ (git-ignored)."""
    (collect,) = [run_ for run_ in dockerfile("RUN") if "collectstatic" in run_]
    environ = production_environ(tmp_path, **dockerfile_env())
    # The image's /app paths, mapped to this checkout and a temporary folder.
    environ.update(PYTHONPATH=str(ROOT), IPP_VAR_DIR=str(tmp_path))
    environ.pop("DJANGO_SETTINGS_MODULE")  # the image does not set it: manage.py chooses the settings
    # The image's `python` is the one with the project's dependencies: here, this interpreter.
    environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), environ.get("PATH", "")])
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    before = manifest.stat().st_mtime_ns if manifest.exists() else None

    result = subprocess.run(  # noqa: S603 - the Dockerfile's own command
        ["/bin/sh", "-c", collect], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=180, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert manifest.is_file()  # whitenoise's manifest: the files were collected with hashed names
    assert manifest.stat().st_mtime_ns != before


def test_dockerfile_environment_is_known():
    unknown = set(dockerfile_env()) - settings_variables() - STANDARD_VARIABLES
    assert not unknown, f"the Dockerfile sets variables nothing reads: {sorted(unknown)}"


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_image():
    ignored = {line.strip().rstrip("/") for line in DOCKERIGNORE.read_text().splitlines()}
    for entry in (".venv", "var", ".git", ".env", "**/__pycache__", "staticfiles"):
        assert entry in ignored, f".dockerignore does not exclude {entry}"
