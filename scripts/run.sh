#!/usr/bin/env bash
# Install and open the dashboard on the bundled sample data (http://localhost:8501).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
export KAM_DB=${KAM_DB:-data/kam.duckdb}
if [ ! -f "$KAM_DB" ]; then
  echo "Loading the bundled sample data (data/sample/) into $KAM_DB ..."
  .venv/bin/python -m kam_metrics ingest --db "$KAM_DB" data/sample/*.xlsx >/dev/null
fi
exec .venv/bin/streamlit run app.py "$@"
