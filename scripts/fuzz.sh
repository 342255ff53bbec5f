#!/usr/bin/env bash
# A bounded schemathesis (GraphQL mode) run against a live Qonys on a throwaway
# SQLite database, once anonymous and once as an officer; fails on any server
# error (5xx) or a response that does not conform to the GraphQL spec.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
EXAMPLES="${FUZZ_EXAMPLES:-30}"
PORT="${FUZZ_PORT:-8799}"
WORK=$(mktemp -d)
export SCHEMATHESIS_HOOKS=scripts.fuzz_hooks
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export QONYS_DATABASE_URL="sqlite+aiosqlite:///$WORK/fuzz.db"
export QONYS_SECRET_KEY="fuzz-secret-0123456789-0123456789-xyz"
$BIN/qonys db upgrade >/dev/null
$BIN/qonys seed >/dev/null
$BIN/uvicorn server.asgi:app --host 127.0.0.1 --port "$PORT" --log-level warning &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
TOKEN=$($BIN/qonys token --role OFFICER --subject fuzz-officer)
status=0
for auth in "" "Authorization: Bearer $TOKEN"; do
  args=(run "http://127.0.0.1:$PORT/graphql" --checks not_a_server_error --max-examples "$EXAMPLES"
        --seed 1 --generation-deterministic --phases examples,fuzzing)
  [ -n "$auth" ] && args+=(-H "$auth")
  $BIN/schemathesis "${args[@]}" || status=1
done
exit $status
