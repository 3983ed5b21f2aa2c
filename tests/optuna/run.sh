#!/usr/bin/env bash
# Opens the optuna.log of four sweeps (TPE + ASHA searches on validation MSE and on trend
# accuracy, a Pareto search and a grid) with the real Optuna package and checks every trial
# against search.csv or trials.csv, then serves one with optuna-dashboard on localhost and
# checks that its API lists the study. The packages live in a virtual environment outside
# the clone, kept between runs:
#
#   tests/optuna/run.sh target/debug/trendsweep
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
venv=${TRENDSWEEP_OPTUNA_VENV:-$HOME/.cache/trendsweep/optuna-venv}
if ! "$venv/bin/python" -c "import optuna, optuna_dashboard" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "optuna>=4.2,<6" "optuna-dashboard>=0.17"
fi
"$venv/bin/python" -c "import optuna, optuna_dashboard; print('optuna', optuna.__version__, '/ optuna-dashboard', optuna_dashboard.__version__)"
work=$(mktemp -d)
dashboard=""
cleanup() {
  [ -n "$dashboard" ] && kill "$dashboard" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for grid in tpe_asha tpe_accuracy pareto grid; do
  "$bin" sweep "$here/grids/$grid.toml" --out "$work/$grid" --quiet > /dev/null
done
"$venv/bin/python" "$here/check.py" "$work/tpe_asha" "$work/tpe_accuracy" "$work/pareto" "$work/grid"

# The dashboard on a free port: its API must list the study by name.
port=$("$venv/bin/python" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
"$venv/bin/optuna-dashboard" "$work/tpe_asha/optuna.log" --host 127.0.0.1 --port "$port" \
  > "$work/dashboard.log" 2>&1 &
dashboard=$!
for _ in $(seq 1 60); do
  if "$venv/bin/python" - "$port" <<'PY' 2>/dev/null
import json, sys, urllib.request
port = sys.argv[1]
studies = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies"))["study_summaries"]
assert [s["study_name"] for s in studies] == ["tpe_asha"], studies
trials = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies/{studies[0]['study_id']}"))["trials"]
assert len(trials) == 12, len(trials)
print(f"optuna-dashboard on port {port} lists study 'tpe_asha' with {len(trials)} trials")
PY
  then
    exit 0
  fi
  sleep 0.5
done
echo "optuna-dashboard did not list the study within 30 s:" >&2
cat "$work/dashboard.log" >&2
exit 1
