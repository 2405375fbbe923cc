#!/usr/bin/env bash
# One command from a fresh clone to a running portal: the app on http://localhost:3000 and the backend on
# http://localhost:7007, SQLite in memory, the demo organisation from catalog/ with 30 days of SLO traffic, the demo
# shop on 127.0.0.1:7090 that checkout's synthetic journeys call, and, when Prometheus is installed (setup.sh
# installs it), a Prometheus on 127.0.0.1:9091 scraping the shop, with checkout's Prometheus-backed SLO; the suite's
# reference (docs/) as TechDocs under Catalog → System reliability-suite → Docs.
set -euo pipefail
"$(dirname "${BASH_SOURCE[0]}")/setup.sh"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

PROM_PORT="${RELIABILITY_DEMO_PROMETHEUS_PORT:-9091}"
configs=()
if command -v prometheus >/dev/null 2>&1; then
  mkdir -p .demo/prometheus-data
  cat > .demo/prometheus.yml <<YAML
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: demo-shop
    static_configs:
      - targets: ['127.0.0.1:7090']
YAML
  prometheus --config.file=.demo/prometheus.yml --storage.tsdb.path=.demo/prometheus-data --storage.tsdb.retention.time=8d \
    --web.listen-address="127.0.0.1:${PROM_PORT}" > .demo/prometheus.log 2>&1 &
  PROM_PID=$!
  trap 'kill "$PROM_PID" 2>/dev/null || true' EXIT INT TERM
  cat > .demo/app-config.prometheus.yaml <<YAML
# written by scripts/start.sh: the demo Prometheus and the SLOs that read it
catalog:
  locations:
    - type: file
      target: ../../catalog/all.yaml
    - type: file
      target: ../../catalog/templates.yaml
    - type: file
      target: ../../catalog/prometheus.yaml
reliability:
  prometheus:
    instances:
      - name: demo
        url: http://127.0.0.1:${PROM_PORT}
YAML
  configs=(--config "$ROOT/app-config.yaml" --config "$ROOT/.demo/app-config.prometheus.yaml")
  echo "[start] Prometheus on http://127.0.0.1:${PROM_PORT} scraping the demo shop (log: .demo/prometheus.log)"
else
  echo "[start] Prometheus is not installed: the demo runs without its Prometheus-backed SLO"
fi
# TechDocs (System reliability-suite → Docs) builds docs/ with mkdocs; env.sh put its techdocs-core stand-in on PYTHONPATH
echo "[start] the suite's docs: http://localhost:3000/catalog/default/system/reliability-suite/docs (built on first view)"
yarn start "${configs[@]}"
