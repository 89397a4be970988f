#!/usr/bin/env bash
# The runnables service in one command: a broker, a worker, a gateway with an API key, the
# dashboard, then the client. `examples/runnables_service/run.sh` from the repository's root.
set -euo pipefail
cd "$(dirname "$0")/../.."
source examples/processes.sh
APP=examples.runnables_service.app
GATEWAY_PORT=${GATEWAY_PORT:-8000}
DASHBOARD_PORT=${DASHBOARD_PORT:-5555}
export GATEWAY_KEY=${GATEWAY_KEY:-runnables-service-example-key}
export KAFKATASK_GATEWAY_KEYS="[{\"name\": \"service-client\", \"key\": \"$GATEWAY_KEY\"}]"

broker
spawn worker "$BIN/kafkatask" worker -A "$APP" -c 8 -l info
spawn gateway "$BIN/kafkatask" gateway -A "$APP" --port "$GATEWAY_PORT"
spawn dashboard "$BIN/kafkatask" dashboard -A "$APP" --port "$DASHBOARD_PORT"
wait_http "http://127.0.0.1:$GATEWAY_PORT/healthz"
wait_http "http://127.0.0.1:$DASHBOARD_PORT/healthz"

"$BIN/python" -m examples.runnables_service.client "http://127.0.0.1:$GATEWAY_PORT"
echo "gateway: http://127.0.0.1:$GATEWAY_PORT/docs (Authorization: Bearer $GATEWAY_KEY)"
echo "dashboard: http://127.0.0.1:$DASHBOARD_PORT/"
hold
