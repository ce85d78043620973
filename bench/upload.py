"""Throughput and memory of the upload pipeline (ipp_portal.documents.services.document_store).

Run as ``python bench/upload.py``. Sets Django up itself (``ipp_portal.settings``, DEBUG on, a temporary
IPP_VAR_DIR holding a freshly migrated SQLite database and the local private storage), builds a 10 MB PDF-shaped
file (valid header, a binary stream of pseudo-random bytes, ``%%EOF``) and measures, best of ``ROUNDS``:

- ``document_store`` MB/s to local disk, given a TemporaryUploadedFile (what Django hands a view for any upload
  over FILE_UPLOAD_MAX_MEMORY_SIZE; the local storage moves that file into place) and given a plain file (which
  the storage copies in chunks);
- ``document_store`` MB/s to an S3 bucket on a local S3-protocol server (moto's ThreadedMotoServer, run in a
  child process so that its own memory and CPU are not counted as the pipeline's);
- the baseline in the same run: ``hashlib.sha256`` over the same file read in 64 KiB chunks plus
  ``shutil.copyfileobj`` to a temporary file, and the ratio pipeline / baseline;
- peak Python memory (tracemalloc) while storing 10 MB and 50 MB files on each path, to show whether it grows
  with the file size; for S3 also with a TransferConfig whose multipart threshold is above the upload cap.

Prints compact lines and writes bench/out/upload.json.
"""

import contextlib
import hashlib
import json
import multiprocessing
import os
import platform
import random
import shutil
import sys
import tempfile
import threading
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import OUT_DIR  # noqa: E402

MB = 1024 * 1024
CHUNK = 64 * 1024
ROUNDS = 3
OUT = OUT_DIR / "upload.json"


def setup_django(var_dir: Path) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME", "UPLOAD_MAX_BYTES"):
        os.environ.pop(name, None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="ipp_portal.settings",
        DJANGO_DEBUG="true",
        IPP_VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{var_dir / 'db.sqlite3'}",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def write_pdf_shaped(path: Path, size: int) -> None:
    rng = random.Random(size)
    head = b"%PDF-1.4\n1 0 obj\n<< /Length " + str(size).encode() + b" >>\nstream\n"
    tail = b"\nendstream\nendobj\n%%EOF\n"
    body = size - len(head) - len(tail)
    with path.open("wb") as fh:
        fh.write(head)
        for done in range(0, body, CHUNK):
            fh.write(rng.randbytes(min(CHUNK, body - done)))
        fh.write(tail)


def temporary_upload(source: Path):
    """A TemporaryUploadedFile filled from ``source`` in chunks, as Django's upload handler would."""
    from django.core.files.uploadedfile import TemporaryUploadedFile

    upload = TemporaryUploadedFile(source.name, "application/pdf", source.stat().st_size, None)
    with source.open("rb") as fh:
        shutil.copyfileobj(fh, upload, CHUNK)
    upload.flush()
    upload.seek(0)
    return upload


@contextlib.contextmanager
def plain_file(source: Path):
    from django.core.files import File

    with source.open("rb") as fh:
        yield File(fh, name=source.name)


def _serve_s3(ports) -> None:
    """Child process: a ThreadedMotoServer on a free loopback port, until the parent ends it."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    ports.put(server.get_host_and_port()[1])
    threading.Event().wait()


@contextlib.contextmanager
def s3_storage(transfer_config=None):
    """A private bucket on a moto server made the default storage. The server runs in a child process, so
    tracemalloc here counts the pipeline's memory, not the server's copy of the object."""
    import boto3
    from django.conf import settings
    from django.test.utils import override_settings

    ports = multiprocessing.Queue()
    child = multiprocessing.Process(target=_serve_s3, args=(ports,), daemon=True)
    child.start()
    try:
        endpoint = f"http://127.0.0.1:{ports.get(timeout=30)}"
        keys = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **keys).create_bucket(
            Bucket="bench-private", ACL="private"
        )
        options = {
            "endpoint_url": endpoint,
            "access_key": "bench",
            "secret_key": "bench",
            "bucket_name": "bench-private",
            "default_acl": "private",
            "querystring_auth": True,
            "region_name": "us-east-1",
            "file_overwrite": False,
        }
        if transfer_config is not None:
            options["transfer_config"] = transfer_config
        default = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
        with override_settings(STORAGES={**settings.STORAGES, "default": default}):
            # botocore loads its S3 model (~15 MB of Python objects) when the first client is made: once per
            # process, not per upload, so it is done before anything is measured.
            from django.core.files.storage import default_storage

            default_storage.exists("warm-up")
            yield
    finally:
        child.terminate()
        child.join()


def store_temporary(source: Path, user):
    from ipp_portal.documents.services import document_store

    upload = temporary_upload(source)
    try:
        start = time.perf_counter()
        document_store(upload=upload, uploaded_by=user)
        return time.perf_counter() - start
    finally:
        upload.close()


def store_plain(source: Path, user):
    from ipp_portal.documents.services import document_store

    with plain_file(source) as upload:
        start = time.perf_counter()
        document_store(upload=upload, uploaded_by=user)
        return time.perf_counter() - start


def baseline(source: Path, scratch: Path) -> float:
    start = time.perf_counter()
    digest = hashlib.sha256()
    with source.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    with source.open("rb") as fh, (scratch / "baseline.copy").open("wb") as out:
        shutil.copyfileobj(fh, out, CHUNK)
    digest.hexdigest()
    return time.perf_counter() - start


def inspect_only(source: Path) -> float:
    from ipp_portal.documents.services import inspect_upload

    with plain_file(source) as upload:
        start = time.perf_counter()
        inspect_upload(upload)
        return time.perf_counter() - start


def best_mb_per_s(size: int, run) -> float:
    return round(max(size / MB / run() for _ in range(ROUNDS)), 1)


def peak_bytes(run) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ipp-bench-upload-") as tmp:
        tmp = Path(tmp)
        setup_django(tmp / "var")
        from boto3.s3.transfer import TransferConfig
        from django.test.utils import override_settings

        from tests.factories import UserFactory

        user = UserFactory()
        files = {}
        for size_mb in (10, 50):
            files[size_mb] = tmp / f"scan-{size_mb}mb.pdf"
            write_pdf_shaped(files[size_mb], size_mb * MB)
        ten = files[10]
        size = 10 * MB
        same_device = os.stat(tempfile.gettempdir()).st_dev == os.stat(tmp / "var").st_dev
        figures: dict = {}
        with override_settings(UPLOAD_MAX_BYTES=64 * MB):
            base = best_mb_per_s(size, lambda: baseline(ten, tmp))
            figures["baseline_sha256_plus_copy_mb_s"] = base
            figures["inspect_only_mb_s"] = best_mb_per_s(size, lambda: inspect_only(ten))
            figures["local_temporary_upload_mb_s"] = best_mb_per_s(size, lambda: store_temporary(ten, user))
            figures["local_copied_file_mb_s"] = best_mb_per_s(size, lambda: store_plain(ten, user))
            with s3_storage():
                figures["s3_temporary_upload_mb_s"] = best_mb_per_s(size, lambda: store_temporary(ten, user))
            for key in ("inspect_only", "local_temporary_upload", "local_copied_file", "s3_temporary_upload"):
                figures[f"{key}_ratio_to_baseline"] = round(figures[f"{key}_mb_s"] / base, 3)

            memory: dict = {}
            for size_mb, source in files.items():
                memory[f"local_temporary_upload_{size_mb}mb"] = peak_bytes(lambda s=source: store_temporary(s, user))
                memory[f"local_copied_file_{size_mb}mb"] = peak_bytes(lambda s=source: store_plain(s, user))
                with s3_storage():
                    memory[f"s3_default_transfer_{size_mb}mb"] = peak_bytes(lambda s=source: store_temporary(s, user))
                # Above the threshold s3transfer reads whole parts (8 MB by default, up to 10 at once) into memory;
                # below it, one streamed PutObject.
                config = TransferConfig(multipart_threshold=64 * MB + 1)
                with s3_storage(config):
                    memory[f"s3_single_put_{size_mb}mb"] = peak_bytes(lambda s=source: store_temporary(s, user))
        figures["peak_python_memory_bytes"] = memory

    result = {
        "benchmark": "upload",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "file": "PDF-shaped: %PDF-1.4 header, one binary stream of pseudo-random bytes, %%EOF",
        "rounds": ROUNDS,
        "temporary_upload_moved_not_copied": same_device,
        **figures,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")

    kb = {name: round(value / 1024) for name, value in memory.items()}
    print(f"baseline sha256+copy: {base} MB/s   inspect only: {figures['inspect_only_mb_s']} MB/s")
    for key in ("local_temporary_upload", "local_copied_file", "s3_temporary_upload"):
        print(
            f"document_store {key.replace('_', ' ')}: {figures[key + '_mb_s']} MB/s "
            f"(ratio to baseline {figures[key + '_ratio_to_baseline']})"
        )
    for path in ("local_temporary_upload", "local_copied_file", "s3_default_transfer", "s3_single_put"):
        print(
            f"peak memory {path.replace('_', ' ')}: 10 MB -> {kb[path + '_10mb']} KB, 50 MB -> {kb[path + '_50mb']} KB"
        )
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
