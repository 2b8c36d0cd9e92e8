#!/usr/bin/env bash
# Generates, from each policies/<name>/metadata.yml:
#   artifacthub/<name>/artifacthub-pkg.yml + README.md   (like `kwctl scaffold artifacthub`)
#   manifests/<name>.yaml                                (ClusterAdmissionPolicy, settings from manifests/settings/)
#   manifests/policies.yml                               (stand-alone policy-server configuration)
# `write` updates the committed files; `check` fails when they are stale.
# createdAt is the date of the policy's last commit, so the output is reproducible.
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-check}
KWHOST=${KWHOST:-target/debug/kwhost}
POLICIES=${POLICIES:-"secret-handling image-provenance restart-policy rbac-least-privilege"}

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/artifacthub" "$out/manifests"

annotation() { # metadata.yml key -> value
  sed -n "s/^ *$2: *\"\{0,1\}\([^\"]*\)\"\{0,1\} *$/\1/p" "$1" | head -n1
}

shallow=$(git rev-parse --is-shallow-repository 2>/dev/null || echo true)
server_args=()
for p in $POLICIES; do
  meta=policies/$p/metadata.yml
  created=$(git log -1 --format=%cI -- "policies/$p" 2>/dev/null || true)
  [ -n "$created" ] || created=1970-01-01T00:00:00Z
  questions=()
  [ -f "policies/$p/questions-ui.yml" ] && questions=(-q "policies/$p/questions-ui.yml")
  mkdir -p "$out/artifacthub/$p"
  "$KWHOST" scaffold artifacthub -m "$meta" "${questions[@]}" --created-at "$created" \
    -o "$out/artifacthub/$p/artifacthub-pkg.yml"
  cp "policies/$p/README.md" "$out/artifacthub/$p/README.md"

  oci=$(annotation "$meta" 'io.kubewarden.policy.ociUrl')
  version=$(annotation "$meta" 'io.kubewarden.policy.version')
  module="registry://$oci:v$version"
  settings=manifests/settings/$p.yaml
  "$KWHOST" scaffold manifest -m "$meta" --module "$module" -s "$settings" --name "$p" \
    -o "$out/manifests/$p.yaml"
  server_args+=(--policy "$p=$module,$meta,$settings")
done
"$KWHOST" scaffold policy-server-config "${server_args[@]}" -o "$out/manifests/policies.yml"
cp artifacthub/artifacthub-repo.yml "$out/artifacthub/"

if [ "$mode" = write ]; then
  for p in $POLICIES; do
    mkdir -p "artifacthub/$p"
    cp "$out/artifacthub/$p/"* "artifacthub/$p/"
    cp "$out/manifests/$p.yaml" manifests/
  done
  cp "$out/manifests/policies.yml" manifests/
  echo "artifacthub/ and manifests/ written"
  exit 0
fi

# The example settings must be accepted by the policies they configure.
for p in $POLICIES; do
  if [ -f "dist/$p.wasm" ]; then
    "$KWHOST" run "dist/$p.wasm" -s "manifests/settings/$p.yaml" \
      -r tests/fixtures/hostile/pod-create.json --world tests/suites/worlds/image-provenance.yaml \
      >/dev/null || { echo "manifests/settings/$p.yaml: refused by dist/$p.wasm"; exit 1; }
  fi
done

# In a shallow clone the commit dates are not the real ones: compare all but createdAt.
filter() { if [ "$shallow" = true ]; then grep -v '^createdAt:' "$1"; else cat "$1"; fi; }
stale=0
for f in $(cd "$out" && find artifacthub manifests -type f | sort); do
  if [ ! -f "$f" ] || ! diff -u <(filter "$f") <(filter "$out/$f") >/dev/null; then
    echo "stale: $f (run 'make artifacthub' and commit)"
    diff -u <(filter "$f" 2>/dev/null || true) <(filter "$out/$f") | head -n 20 || true
    stale=1
  fi
done
[ "$stale" = 0 ] && echo "artifacthub/ and manifests/ are up to date"
exit "$stale"
