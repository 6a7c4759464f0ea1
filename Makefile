# grindbench: common tasks. `make help` lists them.
GO      ?= go
BIN     ?= ./grind
BENCH   ?= .
COUNT   ?= 6
FUZZTIME ?= 60s

.PHONY: help build test test-race test-long bench bench-compare bench-peer mem run vet fmt check clean baseline smoke

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build the grind binary
	$(GO) build -o $(BIN) ./cmd/grind

test: ## run every test (the README's test command)
	$(GO) test ./...

test-race: ## run every test under the race detector
	$(GO) test -race ./...

test-long: test-race ## race tests, 20 kill -9s of a sweep, and FUZZTIME of every fuzz target (not in CI)
	GRIND_KILLS=20 $(GO) test -count=1 -run '^TestKill9' -v ./cmd/grind
	@set -e; for pkg in $$($(GO) list ./...); do \
		for fz in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$fz in $$pkg for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$fz\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

# benchstat, pinned (golang.org/x/perf has no tagged releases).
BENCHSTAT ?= $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
# One file per commit under out/ (ignored by git), so runs on two commits
# can be compared; dirty trees get the same name as their commit.
BENCH_OUT ?= out/bench-$(shell git rev-parse --short HEAD 2>/dev/null || echo local).txt

bench: ## run benchmarks COUNT times into BENCH_OUT (benchstat input; see bench-compare)
	@mkdir -p $(dir $(BENCH_OUT))
	bash -o pipefail -c "$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -count $(COUNT) ./... | tee $(BENCH_OUT)"
	@echo "written to $(BENCH_OUT); compare with another run: make bench-compare OLD=out/bench-OTHER.txt NEW=$(BENCH_OUT)"

bench-compare: ## compare two `make bench` outputs: make bench-compare OLD=a.txt NEW=b.txt
	@test -n "$(OLD)" && test -n "$(NEW)" || { echo "usage: make bench-compare OLD=old.txt NEW=new.txt"; exit 2; }
	$(BENCHSTAT) $(OLD) $(NEW)

# The NumPy peer runs on Debian's python3-numpy (apt-get install python3-numpy);
# bench-peer checks for it and installs nothing. Not run in CI.
PYTHON ?= /usr/bin/python3
bench-peer: ## grindbench vs the NumPy peer (bench/peer) on the same work, one core each: prints the ratio (needs python3-numpy)
	PYTHON=$(PYTHON) bash bench/peer/compare.sh

mem: build ## peak memory (max RSS) of the default grind run and of a sweep ten times larger
	@test -x /usr/bin/time || { echo "make mem needs GNU time (Debian: apt-get install time)"; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	for sets in "" "--set seeds=200"; do \
		/usr/bin/time -o "$$tmp/time" -f '%M %e' $(BIN) run --quiet $$sets --out "$$tmp/out" >/dev/null || exit 1; \
		read -r kb secs < "$$tmp/time"; rm -rf "$$tmp/out"; \
		printf 'grind run %-16s peak RSS %6d MB   wall %6.1f s\n' "$${sets:-(headline)}" $$((kb / 1024)) $$secs; \
	done

run: ## run the default experiment (headline) into out/headline
	$(GO) run ./cmd/grind run

vet: ## go vet and gofmt
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || (gofmt -l .; echo "gofmt needed"; exit 1)

check: vet test-race ## everything CI checks

clean: ## remove build and run outputs
	rm -rf $(BIN) out

baseline: build ## regenerate the CI regression baseline (testdata/baseline/smoke); commit it with the reason
	rm -rf testdata/baseline/smoke
	$(BIN) run smoke --quiet --out testdata/baseline/smoke
	rm -rf testdata/baseline/smoke/plots testdata/baseline/smoke/tables testdata/baseline/smoke/report.html
	@echo "baseline regenerated: commit testdata/baseline/smoke and say in the message why the numbers moved"

smoke: build ## run the smoke experiment and compare it with the committed baseline (what CI does)
	rm -rf out/smoke
	$(BIN) run smoke --quiet --out out/smoke
	$(BIN) compare testdata/baseline/smoke out/smoke
