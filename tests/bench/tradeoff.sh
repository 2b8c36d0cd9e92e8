#!/usr/bin/env bash
# Size against speed of the policy modules: each policy built at opt-level z (shipped), s, 2
# and 3, each with no wasm-opt, `wasm-opt -O3` and the shipped `-Oz` passes (Makefile's
# WASM_OPT_PASSES), measured with `kwhost bench` (warm `validate`, median) on one request.
# docs/performance.md explains the point chosen. Not part of `make test` (about 10 minutes):
#
#   tests/bench/tradeoff.sh [REQUEST]        # default tests/bench/deployment.json
#
# Builds go to target/tradeoff/o<level>/ (their own target directories: the shipped build's
# is left alone); one line per variant, and target/tradeoff/results.tsv.
set -euo pipefail
cd "$(dirname "$0")/../.."
request=${1:-tests/bench/deployment.json}
kwhost=${KWHOST:-target/debug/kwhost}
policies=(secret-handling image-provenance restart-policy rbac-least-privilege)
out=target/tradeoff
mkdir -p "$out"
# The shipped passes and features, read from the Makefile so that they cannot drift.
shipped=$(make -s --no-print-directory -f Makefile -f - print-wasm-opt <<'EOF'
print-wasm-opt:
	@echo $(WASM_OPT_PASSES) $(WASM_OPT_FEATURES)
EOF
)
features=$(make -s --no-print-directory -f Makefile -f - print-features <<'EOF'
print-features:
	@echo $(WASM_OPT_FEATURES)
EOF
)
registry_src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/ 2>/dev/null | head -1 || true)
export CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS="${registry_src:+--remap-path-prefix=$registry_src=} --remap-path-prefix=$PWD/="

printf 'policy\topt-level\twasm-opt\tbytes\twarm_median_us\n' > "$out/results.tsv"
for level in z s 2 3; do
  CARGO_PROFILE_RELEASE_OPT_LEVEL=$level cargo build --locked --release --target wasm32-wasip1 \
    --target-dir "$out/o$level" $(printf -- '-p %s ' "${policies[@]}") >/dev/null 2>&1
  for p in "${policies[@]}"; do
    in=$out/o$level/wasm32-wasip1/release/${p//-/_}.wasm
    for variant in none O3 shipped; do
      wasm=$out/$p-o$level-$variant.wasm
      case $variant in
        none) cp "$in" "$wasm" ;;
        O3) wasm-opt -O3 $features --strip-debug --strip-producers "$in" -o "$wasm" ;;
        shipped) wasm-opt $shipped --strip-debug --strip-producers "$in" -o "$wasm" ;;
      esac
      req=$request
      case $p in rbac-least-privilege) req=tests/bench/clusterrole-50-rules.json ;; esac
      settings=()
      [ "$p" != rbac-least-privilege ] && settings=(-s "tests/bench/settings/$p.yaml")
      warm=$("$kwhost" bench "$wasm" -r "$req" "${settings[@]}" --allocation on-demand \
        --warm-up-time 0.3 --measurement-time 1.5 --json |
        python3 -c 'import json,sys; print(round(json.load(sys.stdin)[0]["validate_warm"]["median_us"], 1))')
      bytes=$(stat -c %s "$wasm")
      printf '%s\t%s\t%s\t%s\t%s\n' "$p" "$level" "$variant" "$bytes" "$warm" | tee -a "$out/results.tsv"
    done
  done
done
