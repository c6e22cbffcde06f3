# The chain-graph service image (used by docker-compose.yml). Offline at run time: every web
# asset is installed into the image; the ledgers live in /data or in Neo4j.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY chain_graph ./chain_graph
COPY application ./application
COPY ingest ./ingest
COPY exports ./exports
COPY cli ./cli
COPY api ./api
COPY viz ./viz
RUN pip install . && useradd --system --home /data chain-graph && mkdir -p /data \
    && chown chain-graph /data
USER chain-graph
WORKDIR /data
EXPOSE 8000
CMD ["chain-graph", "serve", "--host", "0.0.0.0", "--port", "8000"]
