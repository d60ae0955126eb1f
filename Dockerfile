# Groundswell as a service: `docker run` starts `groundswell serve` by default.
#   docker build -t groundswell .
#   docker run --rm -e GROUNDSWELL_DATABASE_URL=postgresql://... -e SLACK_BOT_TOKEN=... groundswell
#   docker run --rm -v "$PWD:/work" -w /work groundswell demo
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY signals ./signals
COPY connectors ./connectors
COPY agents ./agents
COPY groundswell ./groundswell
COPY config ./config
RUN pip install ".[postgres]" \
    && useradd --create-home --uid 10001 groundswell

USER groundswell
WORKDIR /home/groundswell
ENTRYPOINT ["groundswell"]
CMD ["serve"]
