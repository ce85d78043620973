# IPP Portal: one image for every process role (web, worker, beat, migrate); docker-compose.yml picks the command.
#
#   docker build -t ipp-portal .
#   docker run --rm -e DJANGO_SECRET_KEY=... -e DATABASE_URL=... -p 8000:8000 ipp-portal
#
# Configuration comes only from the environment (see .env.example); nothing secret is baked into the image.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    IPP_VAR_DIR=/app/var

# libmagic1: python-magic identifies uploaded documents by content. psycopg2-binary ships its own libpq.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmagic1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, from pyproject.toml alone (empty package stubs), so editing code does not reinstall them.
COPY pyproject.toml ./
RUN mkdir -p ipp_portal listings complaints enforcement \
    && touch ipp_portal/__init__.py listings/__init__.py complaints/__init__.py enforcement/__init__.py \
    && pip install . \
    && pip uninstall -y ipp-portal \
    && rm -rf ipp_portal listings complaints enforcement build ./*.egg-info

# The project itself. It runs from /app (PYTHONPATH), where templates/ and static/ sit next to the packages and
# BASE_DIR resolves to /app; the installed copy only pins the distribution's metadata.
COPY . .
RUN pip install --no-deps . \
    && rm -rf build ./*.egg-info

# Static files are collected into the image (whitenoise serves them with hashed names). The key and the address
# are throwaway: they only let the settings load with DEBUG off, and are not present in the final environment.
RUN DJANGO_DEBUG=false \
    DJANGO_SECRET_KEY=collectstatic-only-not-a-real-secret \
    SITE_URL=http://collectstatic.invalid \
    python manage.py collectstatic --no-input

# Run as an unprivileged user; it may write only to var/ (the embedded-default data directory).
RUN groupadd --system --gid 10001 ipp \
    && useradd --system --uid 10001 --gid ipp --home-dir /app --no-create-home --shell /usr/sbin/nologin ipp \
    && mkdir -p /app/var \
    && chown ipp:ipp /app/var
USER ipp:ipp

EXPOSE 8000

# WEB_CONCURRENCY (gunicorn's own variable) sets the number of worker processes.
CMD ["gunicorn", "ipp_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
