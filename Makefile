# Recap — build, run and test. `make help` lists the targets.

GO      ?= go
VERSION ?= 0.3.0
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
DATA    ?= ./data
SOURCE  ?= testdata/talks/bitcoin-explained_bitcoin-core-v23.md

.PHONY: help build run test bench fuzz vet clean

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_./-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

build: ## build bin/recap
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/recap ./cmd/recap

run: build ## recap SOURCE (default: a real talk in testdata) into DATA and print it as Markdown
	./bin/recap summarize --save --data $(DATA) --format md $(SOURCE)

test: ## every test, with the race detector
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

bench: ## the benchmarks whose figures are kept in docs/perf.md
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 ./...

fuzz: ## run each fuzzer for FUZZTIME (default 30s)
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-30s} $$pkg || exit 1; \
	  done; \
	done

vet: ## go vet and gofmt
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)

clean: ## remove build output
	rm -rf bin
