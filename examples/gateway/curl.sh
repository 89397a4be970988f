#!/usr/bin/env bash
# The gateway with curl: `examples/gateway/curl.sh [URL]`, against a worker and a gateway of
# examples.gateway.app. Set GATEWAY_KEY when the gateway has API keys.
set -euo pipefail
URL=${1:-http://127.0.0.1:8000}
AUTH=()
if [ -n "${GATEWAY_KEY:-}" ]; then AUTH=(-H "Authorization: Bearer $GATEWAY_KEY"); fi
JSON=(-H "Content-Type: application/json")

echo "# invoke"
curl -s "${AUTH[@]}" "${JSON[@]}" -d '{"input": {"x": 2, "y": 3}}' "$URL/examples.add/invoke"
echo

echo "# batch"
curl -s "${AUTH[@]}" "${JSON[@]}" -d '{"inputs": [{"x": 1, "y": 2}, {"x": 3, "y": 4}]}' \
     "$URL/examples.add/batch"
echo

echo "# stream: Server-Sent Events as they come (-N); the first three events here"
curl -sN "${AUTH[@]}" "${JSON[@]}" -d '{"input": "kafka"}' "$URL/examples.story/stream" \
     | sed -n 1,12p

echo "# start a stream without following it, then follow it from its URL"
STARTED=$(curl -s "${AUTH[@]}" "${JSON[@]}" -d '{"input": "kafka"}' \
               "$URL/examples.story/stream?detach=true")
STREAM=$(echo "$STARTED" | sed -E 's/.*"stream_url":"([^"]*)".*/\1/')
echo "$STREAM"
LAST=$(curl -sN "${AUTH[@]}" "$URL$STREAM" | grep '^id: ' | sed -n 3p | cut -d' ' -f2)

echo "# resume right after the third chunk, from any gateway process"
curl -sN "${AUTH[@]}" -H "Last-Event-ID: $LAST" "$URL$STREAM" | grep '^data: ' | sed -n 1,3p
