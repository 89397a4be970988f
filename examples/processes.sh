# Shell functions the examples' run.sh scripts share: a local broker when none is configured,
# background processes logged under .kafkatask/examples/, and everything stopped on exit.
# Source it from a run.sh (`source examples/processes.sh`) in the repository's root.
BIN=${VENV:-.venv}/bin
LOGS=${EXAMPLE_LOGS:-.kafkatask/examples}
mkdir -p "$LOGS"
_pids=()
_stop_broker=0

_cleanup() {
    for pid in "${_pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${_pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ "$_stop_broker" == 1 ]]; then
        "$BIN/kafkatask" broker stop
    fi
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

# A local broker on 127.0.0.1:9092, unless KAFKATASK_BOOTSTRAP_SERVERS names one; stopped at
# exit when this script started it.
broker() {
    if [[ -z "${KAFKATASK_BOOTSTRAP_SERVERS:-}" ]] && ! "$BIN/kafkatask" broker status >/dev/null; then
        _stop_broker=1
    fi
    "$BIN/kafkatask" broker start
}

# `spawn NAME COMMAND...`: run COMMAND in the background, its output in $LOGS/NAME.log.
spawn() {
    local name=$1
    shift
    "$@" >"$LOGS/$name.log" 2>&1 &
    _pids+=($!)
}

# `wait_http URL`: until URL answers (any HTTP status below 500), for at most a minute.
wait_http() {
    for _ in $(seq 600); do
        if curl -s -o /dev/null -w '%{http_code}' "$1" | grep -q '^[1-4]'; then
            return 0
        fi
        sleep 0.1
    done
    echo "no answer from $1 within a minute; see the logs in $LOGS" >&2
    return 1
}

# Keep everything running until Ctrl-C, unless EXAMPLE_HOLD=0.
hold() {
    if [[ "${EXAMPLE_HOLD:-1}" == 1 ]]; then
        echo "running; Ctrl-C stops it all"
        # `wait` returns on a signal at once, where a foreground `sleep` would delay the trap.
        while true; do
            sleep 3600 &
            _pids+=($!)
            wait $! || true
        done
    fi
}
