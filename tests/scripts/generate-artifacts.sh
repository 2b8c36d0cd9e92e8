#!/usr/bin/env bash
# Generates, from each policies/<name>/metadata.yml:
#   artifacthub/<name>/artifacthub-pkg.yml + README.md   (like `kwctl scaffold artifacthub`)
#   manifests/<name>.yaml                                (ClusterAdmissionPolicy, settings from manifests/settings/)
#   manifests/policies.yml                               (stand-alone policy-server configuration)
# `write` updates the committed files; `check` fails when they are stale.
# createdAt is the release date of the policy's version, recorded beside that version in
# policies/<name>/Cargo.toml ([package.metadata.artifacthub] version, created-at): the output
# depends on the files only, never on git history, and changes only when the version does.
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

artifacthub_release() { # Cargo.toml key -> value in [package.metadata.artifacthub]
  sed -n '/^\[package\.metadata\.artifacthub\]/,/^\[/ s/^'"$2"' *= *"\([^"]*\)".*/\1/p' "$1" | head -n1
}

server_args=()
for p in $POLICIES; do
  meta=policies/$p/metadata.yml
  cargo_toml=policies/$p/Cargo.toml
  version=$(annotation "$meta" 'io.kubewarden.policy.version')
  released=$(artifacthub_release "$cargo_toml" version)
  created=$(artifacthub_release "$cargo_toml" created-at)
  if [ "$released" != "$version" ] || [ -z "$created" ]; then
    echo "$cargo_toml: [package.metadata.artifacthub] must give version = \"$version\" (io.kubewarden.policy.version of $meta) and its created-at date; it has version \"$released\", created-at \"$created\"" >&2
    exit 1
  fi
  questions=()
  [ -f "policies/$p/questions-ui.yml" ] && questions=(-q "policies/$p/questions-ui.yml")
  mkdir -p "$out/artifacthub/$p"
  "$KWHOST" scaffold artifacthub -m "$meta" "${questions[@]}" --created-at "$created" \
    -o "$out/artifacthub/$p/artifacthub-pkg.yml"
  cp "policies/$p/README.md" "$out/artifacthub/$p/README.md"

  oci=$(annotation "$meta" 'io.kubewarden.policy.ociUrl')
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

stale=0
for f in $(cd "$out" && find artifacthub manifests -type f | sort); do
  if [ ! -f "$f" ] || ! diff -u "$f" "$out/$f" >/dev/null; then
    echo "stale: $f (run 'make artifacthub' and commit)"
    diff -u "$f" "$out/$f" 2>/dev/null | head -n 20 || true
    stale=1
  fi
done
[ "$stale" = 0 ] && echo "artifacthub/ and manifests/ are up to date"
exit "$stale"
