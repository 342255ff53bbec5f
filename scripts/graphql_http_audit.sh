#!/usr/bin/env bash
# graphql-http's server audits against a live Qonys on a throwaway SQLite database.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${AUDIT_PORT:-8798}"
WORK=$(mktemp -d)
export QONYS_DATABASE_URL="sqlite+aiosqlite:///$WORK/audit.db"
(cd scripts/audit && npm install --silent --no-audit --no-fund >/dev/null)
$BIN/qonys db upgrade >/dev/null && $BIN/qonys seed >/dev/null
$BIN/uvicorn server.asgi:app --host 127.0.0.1 --port "$PORT" --log-level warning &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
node scripts/audit/audit.mjs "http://127.0.0.1:$PORT/graphql"
