#!/usr/bin/env bash
# The slow model, batched and not, in one command: a broker, a worker, the SSE server, the
# dashboard, then the load client. `examples/batched_slow_model/run.sh` from the repository's
# root; LOAD_REQUESTS and LOAD_CONCURRENCY change the load.
set -euo pipefail
cd "$(dirname "$0")/../.."
source examples/processes.sh
APP=examples.batched_slow_model.app
SERVER_PORT=${SERVER_PORT:-8000}
DASHBOARD_PORT=${DASHBOARD_PORT:-5555}

broker
spawn worker "$BIN/kafkatask" worker -A "$APP" -c 8 -l info
spawn server "$BIN/uvicorn" examples.batched_slow_model.server:server --port "$SERVER_PORT"
spawn dashboard "$BIN/kafkatask" dashboard -A "$APP" --port "$DASHBOARD_PORT"
wait_http "http://127.0.0.1:$SERVER_PORT/healthz"
wait_http "http://127.0.0.1:$DASHBOARD_PORT/healthz"

"$BIN/python" -m examples.batched_slow_model.load "http://127.0.0.1:$SERVER_PORT" \
    --requests "${LOAD_REQUESTS:-16}" --concurrency "${LOAD_CONCURRENCY:-8}"
echo "try: curl -N 'http://127.0.0.1:$SERVER_PORT/generate?context=Once+upon+a+time'"
echo "dashboard: http://127.0.0.1:$DASHBOARD_PORT/"
hold
