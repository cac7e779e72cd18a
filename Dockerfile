# Cordon application image: the web process (gunicorn), the Celery worker and beat.
# Two stages: the locked dependencies are installed into a virtualenv in the first; the
# final image gets that virtualenv and the source, and no compiler, pip cache or build tool.

FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# Exactly the locked versions, each checked against its hash (make lock writes the
# file); the app runs from /app, never from site-packages, so the project itself is
# not installed.
COPY requirements/main.txt /tmp/requirements.txt
# A package missing from the file fails the build (it has no hash), never slips in.
RUN pip install --require-hashes -r /tmp/requirements.txt && rm /tmp/requirements.txt


FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PATH=/opt/venv/bin:$PATH

RUN groupadd --system cordon && useradd --system --gid cordon --home-dir /app cordon

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY manage.py ./
COPY config ./config
COPY core ./core
COPY accounts ./accounts
COPY incidents ./incidents
COPY evidence ./evidence
COPY observables ./observables
COPY intake ./intake
COPY disclosures ./disclosures
COPY audit ./audit
COPY notifications ./notifications
COPY dashboard ./dashboard
COPY templates ./templates
COPY static ./static

# Hashed, compressed static files are part of the image (WhiteNoise serves them).
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/var /evidence && chown -R cordon:cordon /app/var /evidence

USER cordon
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--config", "config/gunicorn.conf.py"]
