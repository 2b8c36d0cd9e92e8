#!/usr/bin/env bash
# Pushes every dist/*.wasm to a real OCI registry (Debian's docker-registry, i.e. CNCF
# distribution) on a free loopback port, pulls each back, checks the bytes are identical, signs
# and verifies each (check-signing.py), and replays every suite against the pulled modules.
set -euo pipefail
cd "$(dirname "$0")/../.."
KWHOST=${KWHOST:-target/debug/kwhost}
REGISTRY_BIN=${REGISTRY_BIN:-$(command -v docker-registry || echo /usr/bin/docker-registry)}

work=$(mktemp -d)
registry_pid=""
cleanup() {
  local status=$?
  if [ -n "$registry_pid" ]; then
    kill "$registry_pid" 2>/dev/null || true
    wait "$registry_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/config.yml" <<YAML
version: 0.1
log: { level: error }
storage:
  filesystem: { rootdirectory: $work/storage }
  delete: { enabled: true }
http:
  addr: 127.0.0.1:$port
YAML
"$REGISTRY_BIN" serve "$work/config.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/v2/" >/dev/null || { echo "registry did not start:"; cat "$work/registry.log"; exit 2; }
echo "registry: 127.0.0.1:$port"

mkdir -p "$work/pulled"
for wasm in dist/*.wasm; do
  name=$(basename "$wasm" .wasm)
  ref="registry://127.0.0.1:$port/policies/$name:v0.1.0"
  immutable=$("$KWHOST" push --insecure -o json "$wasm" "$ref" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["immutable_ref"])')
  "$KWHOST" pull --insecure "registry://$immutable" -o "$work/pulled/$name.wasm"
  cmp "$wasm" "$work/pulled/$name.wasm"
  "$KWHOST" inspect --insecure -o yaml "$ref" | grep -q '^protocolVersion: v1' \
    || { echo "$name: pulled module has no protocolVersion v1"; exit 1; }
  echo "pushed, pulled and compared: $name -> $immutable"
done

# Signed artifacts: sign every pushed policy, verify, pull and run through verification, and
# each refusal (tests/scripts/check-signing.py).
python3 tests/scripts/check-signing.py "$KWHOST" "127.0.0.1:$port"

# Every suite that names a policy now loads it from the pulled copies.
"$KWHOST" test --dist "$work/pulled" tests/suites
