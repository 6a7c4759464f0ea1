# grindbench: common tasks. `make help` lists them.
GO      ?= go
BIN     ?= ./grind
BENCH   ?= .
COUNT   ?= 6

.PHONY: help build test test-race test-long bench run vet fmt check clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build the grind binary
	$(GO) build -o $(BIN) ./cmd/grind

test: ## run every test (the README's test command)
	$(GO) test ./...

test-race: ## run every test under the race detector
	$(GO) test -race ./...

test-long: test-race ## race tests plus short fuzz runs (not in CI)
	@echo "no fuzz targets yet"

bench: ## run benchmarks COUNT times (compare runs with benchstat)
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -count $(COUNT) ./...

run: ## run the default experiment (headline) into out/headline
	$(GO) run ./cmd/grind run

vet: ## go vet and gofmt
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || (gofmt -l .; echo "gofmt needed"; exit 1)

check: vet test-race ## everything CI checks

clean: ## remove build and run outputs
	rm -rf $(BIN) out
