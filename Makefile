# Build, replay and test the admission policies of this workspace.
#   make demo   build every policy and replay every bundled suite (the main job)
#   make test   fmt check, clippy -D warnings, native tests, host tests, every suite

POLICIES    := secret-handling image-provenance restart-policy rbac-least-privilege
GUESTS      := $(notdir $(patsubst %/Cargo.toml,%,$(wildcard tests/guests/*/Cargo.toml)))
WASM_TARGET := wasm32-wasip1
WASM_OUT    := target/$(WASM_TARGET)/release
DIST        := dist
KWHOST      := target/debug/kwhost
CARGO       ?= cargo
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages: wasm-opt (binaryen), a real OCI registry (docker-registry), a headless
# browser that draws the audit's HTML report (chromium).
APT_PACKAGES := binaryen docker-registry chromium
# Size passes: duplicate and similar functions (serde's monomorphised visitors) merged before
# and after -Oz, which alone leaves them apart (about 2 KB less per module than -Oz alone); then
# the control flow flattened and rebuilt by binaryen's relooper and shrunk again (about 6 KB
# less, for 15 s of wasm-opt per module).
WASM_OPT_PASSES := --duplicate-function-elimination --merge-similar-functions -Oz --converge \
                   --merge-similar-functions -Oz \
                   --flatten --rereloop -Oz --converge --merge-similar-functions -Oz
# Panic locations of dependencies name their source files; remapping the registry directories
# away keeps the machine's paths out of the modules (about 1 KB less, and the same bytes on any
# machine whatever CARGO_HOME is).
CARGO_HOME ?= $(HOME)/.cargo
export CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS := $(foreach d,$(wildcard $(CARGO_HOME)/registry/src/*/),--remap-path-prefix=$(d)=) --remap-path-prefix=$(CURDIR)/=
# rustc's wasm32 default features; older binaryen does not read them from the module.
WASM_OPT_FEATURES := --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
                     --enable-mutable-globals --enable-multivalue --enable-reference-types

.PHONY: all setup policies guests host demo test fmt lint structure unit suites registry artifacthub check-artifacts bench bench-audit publish tradeoff install fuzz fuzz-build fuzz-cmin clean

all: demo

## setup: install what a fresh machine lacks (idempotent)
setup:
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy rustfmt
	@missing=""; \
	 command -v wasm-opt >/dev/null || missing="$$missing binaryen"; \
	 command -v docker-registry >/dev/null || missing="$$missing docker-registry"; \
	 command -v chromium >/dev/null || missing="$$missing chromium"; \
	 if [ -n "$$missing" ]; then \
	   echo "installing:$$missing"; \
	   $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	 fi

## policies: every policy in release for wasm32-wasip1, wasm-opt (size passes), annotated into dist/<policy>.wasm
policies: setup host
	$(CARGO) build --locked --release --target $(WASM_TARGET) $(addprefix -p ,$(POLICIES))
	@mkdir -p $(DIST) target/wasm-opt
	@for p in $(POLICIES); do \
	  in=$(WASM_OUT)/$$(echo $$p | tr - _).wasm; \
	  wasm-opt $(WASM_OPT_PASSES) $(WASM_OPT_FEATURES) --strip-debug --strip-producers $$in -o target/wasm-opt/$$p.wasm || exit 1; \
	  $(KWHOST) annotate target/wasm-opt/$$p.wasm -m policies/$$p/metadata.yml -u policies/$$p/README.md \
	    -o $(DIST)/$$p.wasm || exit 1; \
	  printf '%-24s %7d bytes annotated (cargo: %d)\n' $$p $$(stat -c %s $(DIST)/$$p.wasm) $$(stat -c %s $$in); \
	done

## guests: the hostile test guests used by tests/suites/hostile.yaml
guests: setup
	$(CARGO) build --locked --release --target $(WASM_TARGET) $(addprefix -p guest-,$(GUESTS))

host:
	$(CARGO) build --locked -p kwhost

## demo: build all policies and replay every bundled suite
demo: policies guests host
	$(KWHOST) test tests/suites

fmt:
	$(CARGO) fmt --all -- --check

lint: setup
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

## structure: no module import cycle in any crate, no Rust source file over 600 lines, no doc
## naming a repository file that does not exist, a questions-ui.yml question for every setting
structure:
	python3 tests/scripts/check-module-cycles.py
	python3 tests/scripts/check-doc-paths.py
	python3 tests/scripts/check-questions-ui.py
	@long=$$(find policies host tests -name '*.rs' -not -path '*/target/*' | xargs wc -l | awk '$$2 != "total" && $$1 > 600'); \
	 if [ -n "$$long" ]; then echo "Rust sources over 600 lines:"; echo "$$long"; exit 1; fi

unit:
	$(CARGO) test --locked --workspace

## suites: every suite, each case's full outcome compared with the behaviour record
## (rewrite the record with --record-responses only when a change of behaviour is intended)
suites: policies guests host
	$(KWHOST) test --junit target/junit.xml --compare-responses tests/baseline/responses.json tests/suites
	python3 tests/scripts/check-planted-secrets.py $(KWHOST)
	python3 tests/scripts/check-peer-coverage.py
	python3 tests/scripts/check-audit.py $(KWHOST)

## registry: push every policy to a real local OCI registry, pull back, compare, replay suites
registry: policies guests host
	tests/scripts/registry-roundtrip.sh

## artifacthub: Artifact Hub packages and example manifests, generated from metadata.yml
artifacthub: host
	tests/scripts/generate-artifacts.sh write

check-artifacts: policies host
	tests/scripts/generate-artifacts.sh check

## bench: the performance figures of docs/performance.md (not part of `make test`; about 10
## minutes after `make test`): criterion under the dev profile (native against wasm warm and
## fresh, on-demand against pooled instances, the scaling series; no third build of wasmtime),
## the scaling plot, `kwhost bench` on the Deployment for every policy, suite replay throughput.
BENCH_SUITES = $(filter-out tests/suites/hostile-%,$(wildcard tests/suites/*.yaml)) \
               $(wildcard tests/suites/hostile-input-*.yaml) tests/suites/peers
bench: policies host
	python3 tests/bench/generate.py --scaling target/bench/scaling >/dev/null
	$(CARGO) bench --locked --profile dev -p kwhost --bench policies
	python3 tests/bench/plot.py target/criterion/kwhost-summary.json target/bench/scaling.svg
	@for p in $(POLICIES); do \
	  $(KWHOST) bench $(DIST)/$$p.wasm -r tests/bench/deployment.json -s tests/bench/settings/$$p.yaml \
	    --world tests/suites/worlds/rbac-least-privilege.yaml --allow-context-aware \
	    --warm-up-time 0.5 --measurement-time 2 | grep -v '^timings' || exit 1; \
	done
	@for j in 1 2; do $(KWHOST) test -j $$j $(BENCH_SUITES) | grep 'cases/s' || exit 1; done

## install: the optimised kwhost (profile `cli` of Cargo.toml: opt-level 3, thin LTO) into
## $(CARGO_HOME)/bin; a build of its own (11 minutes here), not part of `make test`
install:
	$(CARGO) install --locked --path host --profile cli --target-dir target
	@echo "installed: $$(command -v kwhost || echo $(CARGO_HOME)/bin/kwhost)"
	@echo "shell completions: kwhost completions bash|zsh|fish"

## bench-audit: `kwhost audit` of a generated 10,000-object dump with the four policies, by the
## installed kwhost (`make install` first), three runs after a warm-up that fills the module
## cache (docs/performance.md, "Offline audit")
AUDIT_OBJECTS ?= 10000
bench-audit: policies
	@command -v kwhost >/dev/null || { echo "bench-audit: no kwhost on PATH: make install first"; exit 1; }
	python3 tests/audit/generate.py --objects $(AUDIT_OBJECTS) -o target/bench/audit-$(AUDIT_OBJECTS).json
	kwhost audit -p tests/audit/policies.yaml --module-dir $(DIST) target/bench/audit-$(AUDIT_OBJECTS).json \
	  --fail-on never | tail -1
	@for i in 1 2 3; do \
	  start=$$(date +%s.%N); \
	  kwhost audit -p tests/audit/policies.yaml --module-dir $(DIST) \
	    target/bench/audit-$(AUDIT_OBJECTS).json --fail-on never -f json -o /dev/null || exit 1; \
	  echo "$$start $$(date +%s.%N)" | awk '{printf "audit of $(AUDIT_OBJECTS) objects: %.2f s\n", $$2 - $$1}'; \
	done

## publish: push every dist/ module to $(REGISTRY)/<policy>:$(TAG) and sign it with the cosign
## key $(SIGN_KEY) (passphrase from COSIGN_PASSWORD or the terminal); INSECURE=1 for a plain-HTTP
## registry. Then: kwhost verify --verification-key cosign.pub registry://$(REGISTRY)/<policy>:$(TAG)
REGISTRY ?=
TAG      ?= v0.1.0
SIGN_KEY ?= cosign.key
publish: policies
	@[ -n "$(REGISTRY)" ] || { echo "publish: set REGISTRY=host[:port]/namespace"; exit 2; }
	@for p in $(POLICIES); do \
	  $(KWHOST) push $(if $(INSECURE),--insecure) --sign-key $(SIGN_KEY) $(DIST)/$$p.wasm \
	    registry://$(REGISTRY)/$$p:$(TAG) || exit 1; \
	done

## tradeoff: size against speed of every policy at each opt-level and wasm-opt level
## (tests/bench/tradeoff.sh; about 20 minutes; docs/performance.md, "Size against speed")
tradeoff: host
	tests/bench/tradeoff.sh

## fuzz: every cargo-fuzz target of fuzz/ for FUZZ_SECONDS each, one at a time (not part of
## `make test`; docs/security.md, Fuzzing). New inputs go to fuzz/target/corpus-run/<target>/,
## crashes to fuzz/artifacts/<target>/; a line per target with the inputs tried, and the exit
## status is 1 when any target crashed. The stable toolchain runs cargo fuzz with RUSTC_BOOTSTRAP=1.
FUZZ_SECONDS   ?= 60
FUZZ_SANITIZER ?= address
# More libFuzzer flags, e.g. FUZZ_ARGS="-fork=1 -ignore_crashes=1" to go on past a known crash.
FUZZ_ARGS      ?=
FUZZ_TARGETS   ?= image_reference redact fixture_loader suite_loader dump_loader $(foreach p,$(subst -,_,$(POLICIES)),settings_$(p) validate_$(p))
CARGO_FUZZ     := RUSTC_BOOTSTRAP=1 $(CARGO) fuzz
fuzz-build:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install --locked cargo-fuzz
	cd fuzz && $(CARGO_FUZZ) build --sanitizer $(FUZZ_SANITIZER)

fuzz: fuzz-build
	@mkdir -p fuzz/target/logs; failed=""; \
	 for t in $(FUZZ_TARGETS); do \
	   mkdir -p fuzz/target/corpus-run/$$t fuzz/corpus/$$t; \
	   echo "== $$t: $(FUZZ_SECONDS) s"; \
	   (cd fuzz && $(CARGO_FUZZ) run --sanitizer $(FUZZ_SANITIZER) $$t target/corpus-run/$$t corpus/$$t -- \
	     -max_total_time=$(FUZZ_SECONDS) -timeout=25 -print_final_stats=1 $(FUZZ_ARGS)) > fuzz/target/logs/$$t.log 2>&1 \
	     || failed="$$failed $$t"; \
	   grep -E '^stat::number_of_executed_units|^(==[0-9]+==|thread .* panicked|SUMMARY)' fuzz/target/logs/$$t.log | head -5; \
	   grep -E '^#[0-9]+' fuzz/target/logs/$$t.log | tail -1; \
	 done; \
	 if [ -n "$$failed" ]; then echo "crashed:$$failed (inputs in fuzz/artifacts/, logs in fuzz/target/logs/)"; exit 1; fi

## fuzz-cmin: seeds from the repository (fuzz/seed.py) and the inputs `make fuzz` found, minimised
## into fuzz/corpus/<target>/ (committed), on edges only (-use_counters=0) to keep it small
fuzz-cmin: fuzz-build
	python3 fuzz/seed.py fuzz/target/seeds
	@for t in $(FUZZ_TARGETS); do \
	   mkdir -p fuzz/corpus/$$t; \
	   for d in fuzz/target/seeds/$$t fuzz/target/corpus-run/$$t; do \
	     [ -d $$d ] && find $$d -type f -exec cp -n {} fuzz/corpus/$$t/ \; ; \
	   done; \
	   (cd fuzz && $(CARGO_FUZZ) cmin --sanitizer $(FUZZ_SANITIZER) $$t corpus/$$t -- -use_counters=0) > fuzz/target/cmin-$$t.log 2>&1 || exit 1; \
	   printf '%-32s %4d files\n' $$t $$(ls fuzz/corpus/$$t | wc -l); \
	 done

## test: everything CI runs
test: fmt structure lint unit suites check-artifacts registry

clean:
	$(CARGO) clean
	rm -rf $(DIST)
