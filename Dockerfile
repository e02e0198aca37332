# The dimos app image. The database runs apart (compose.yaml: PostGIS + pgRouting).
# Front-end assets (Leaflet and its plugins, Swagger UI, Bootstrap) come from the npm registry:
# no CDN.
FROM node:20-bookworm-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DIMOS_HOST=0.0.0.0 DIMOS_PORT=5000 DIMOS_WORKERS=4 \
    DIMOS_ASSETS_DIR=/app/node_modules DIMOS_STATE_DIR=/tmp/dimos

# WeasyPrint lays the planning certificate out with Pango; DejaVu has its Greek glyphs
# (web_map/certificate.py reads the font from /usr/share/fonts/truetype/dejavu)
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 dimos
WORKDIR /app
COPY pyproject.toml README.md ./
# every package of pyproject.toml's [tool.setuptools.packages.find] (tests/test_packaging.py)
COPY dimos ./dimos
COPY web_map ./web_map
COPY ogc ./ogc
COPY importers ./importers
COPY web_common ./web_common
COPY accounts ./accounts
COPY mail ./mail
COPY mqtt ./mqtt
COPY photos ./photos
COPY servers ./servers
COPY settings ./settings
COPY gis ./gis
COPY vrp ./vrp
COPY layers ./layers
COPY data ./data
RUN pip install .
COPY --from=assets /assets/node_modules ./node_modules

USER dimos
EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:5000/health').status != 200)"
# DATABASE_URL must point at PostGIS 3 + pgRouting; the schema is migrated at every start
# (a no-op when current), the demo loaded only when DIMOS_LOAD_DEMO=1.
CMD ["sh", "-c", "dimos db up && dimos db migrate && if [ \"$DIMOS_LOAD_DEMO\" = 1 ]; then dimos demo load; fi && exec dimos serve"]
