# Hongfan production image: gunicorn serves the portal, whitenoise its static files; the same image
# runs the Celery worker and beat (docker/entrypoint.sh picks the role). See docs/deploy.md.

# --- Stage 1: front-end packages from the npm registry, copied into static/vendor ---------------
FROM node:20-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY scripts/vendor-assets.sh scripts/vendor-assets.sh
RUN sh scripts/vendor-assets.sh

# --- Stage 2: the Python application ---------------------------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# gettext compiles the translations; postgresql-client gives `manage.py backup`/`restore` pg_dump and
# pg_restore (docs/backup.md); curl is not needed: the health check uses Python.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 1000 hongfan \
    && useradd --system --uid 1000 --gid hongfan --home-dir /app --shell /usr/sbin/nologin hongfan
WORKDIR /app

# Dependencies first, so that a code change does not reinstall them: the runtime lock, every file
# checked against its hash (requirements/base.txt, made from pyproject.toml by `make lock`). The
# project itself is not installed: pyproject lists no packages and the code runs from /app.
COPY requirements/base.txt requirements/base.txt
RUN pip install --require-hashes -r requirements/base.txt

COPY . .
COPY --from=assets /build/static/vendor static/vendor
# The secrets below are build-time placeholders only, so that the production settings load for
# collectstatic; the containers get their real secrets from .env at run time.
RUN chmod 0755 docker/entrypoint.sh \
    && if [ -d locale ]; then python manage.py compilemessages --ignore=.venv; fi \
    && HONGFAN_MODE=production DJANGO_SECRET_KEY=collectstatic-build-only \
       HONGFAN_FIELD_KEYS=Y29sbGVjdHN0YXRpYy1idWlsZC1vbmx5LW5vLWRhdGE= HONGFAN_HASH_KEY=collectstatic-build-only \
       python manage.py collectstatic --noinput \
    && mkdir -p /app/media /app/backups \
    && chown -R hongfan:hongfan /app/media /app/backups

USER hongfan
EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
