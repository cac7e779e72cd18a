# Cordon application image: the web process (gunicorn), the Celery worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

RUN groupadd --system cordon && useradd --system --gid cordon --home-dir /app cordon

WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY accounts ./accounts
COPY incidents ./incidents
COPY evidence ./evidence
COPY disclosures ./disclosures
COPY audit ./audit
COPY notifications ./notifications
COPY dashboard ./dashboard
COPY templates ./templates
COPY static ./static
COPY manage.py ./

RUN pip install ".[s3]" \
    && SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/var /evidence && chown -R cordon:cordon /app/var /evidence

USER cordon
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
