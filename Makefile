# Recap — build, run and test. `make help` lists the targets.

GO      ?= go
VERSION ?= 0.3.0
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
DATA    ?= ./data
LISTEN  ?= 127.0.0.1:8080
SOURCE  ?= testdata/talks/bitcoin-explained_bitcoin-core-v23.md

# Plain `make` builds and verifies the StartOS 0.3.5 package, as the
# manifest's build command and Start9's tooling expect; `make help` lists
# the other targets.
.DEFAULT_GOAL := package

.PHONY: help build run summarize test bench fuzz vet clean package install startos-test package-0.4 screenshots

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_./-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

build: ## build bin/recap
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/recap ./cmd/recap

run: build ## recap a real talk into DATA (first run only), then start the web app on LISTEN; prints the URL and the owner password
	@if ! ls $(DATA)/history/*.json >/dev/null 2>&1; then \
	  echo "Recapping $(SOURCE) into $(DATA) with the builtin engine…"; \
	  ./bin/recap summarize --save --quiet --data $(DATA) --format md $(SOURCE) | head -n 12; echo "…"; \
	fi
	./bin/recap serve --dev --data $(DATA) --listen $(LISTEN)

summarize: build ## recap SOURCE (default: a real talk in testdata) into DATA and print it as Markdown
	./bin/recap summarize --save --data $(DATA) --format md $(SOURCE)

test: startos/node_modules ## every test, with the race detector, and the StartOS 0.4 package's type check and tests
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	$(MAKE) --no-print-directory startos-test

startos-test: startos/node_modules ## the StartOS 0.4 package: tsc --noEmit against the SDK, then its node --test tests
	cd startos && npm run --silent check && npm test

startos/node_modules: startos/package.json startos/package-lock.json
	cd startos && npm ci --no-audit --no-fund
	@touch $@

screenshots: ## the walk-through's screenshots in docs/walkthrough/, taken in headless Chromium (docs/walkthrough.md)
	RECAP_SCREENSHOTS=$(CURDIR)/docs/walkthrough $(GO) test -count=1 -run '^TestWalkthroughScreenshots$$' ./pkg/server/

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

clean: ## remove build output, images and the packages
	rm -rf bin docker-images recap.s9pk recap_*.s9pk startos/javascript startos/.test

# ── StartOS package ──────────────────────────────────────────────────────
# Needs Docker with buildx (and binfmt for the arm64 image on an x86 host)
# and Start9's start-sdk; `make test` needs neither. See README,
# "Packaging for StartOS".

PKG_ID      := $(shell sed -n 's/^id: *//p' manifest.yaml)
PKG_VERSION := $(shell sed -n 's/^version: *//p' manifest.yaml)
GO_SOURCES  := go.mod go.sum $(shell find cmd pkg -name '*.go' -not -name '*_test.go' 2>/dev/null) $(shell find pkg -path '*/templates/*' -o -path '*/static/*' -o -path '*/startos/compat/*' 2>/dev/null)
PKG_FILES   := manifest.yaml instructions.md LICENSE icon.png startos/assets/compat/config_spec.yaml startos/assets/compat/config_rules.yaml

package: recap.s9pk ## build and verify recap.s9pk for StartOS 0.3.5 (Docker, start-sdk)

docker-images/x86_64.tar: startos/Dockerfile startos/docker_entrypoint.sh $(GO_SOURCES)
	mkdir -p docker-images
	docker buildx build --platform=linux/amd64 -f startos/Dockerfile \
	  --build-arg VERSION=$(PKG_VERSION) --build-arg COMMIT=$(COMMIT) \
	  --tag start9/$(PKG_ID)/main:$(PKG_VERSION) -o type=docker,dest=$@ .

docker-images/aarch64.tar: startos/Dockerfile startos/docker_entrypoint.sh $(GO_SOURCES)
	mkdir -p docker-images
	docker buildx build --platform=linux/arm64 -f startos/Dockerfile \
	  --build-arg VERSION=$(PKG_VERSION) --build-arg COMMIT=$(COMMIT) \
	  --tag start9/$(PKG_ID)/main:$(PKG_VERSION) -o type=docker,dest=$@ .

recap.s9pk: $(PKG_FILES) docker-images/x86_64.tar docker-images/aarch64.tar
	$(GO) test -count=1 -run 'Manifest|ConfigSpec|StartOS' ./cmd/recap ./pkg/startos
	start-sdk pack
	start-sdk verify s9pk $@
	@ls -l $@

install: recap.s9pk ## sideload recap.s9pk to the server named in ~/.embassy/config.yaml
	@grep -q '^host:' ~/.embassy/config.yaml 2>/dev/null || { echo 'Set "host: http://SERVER.local" in ~/.embassy/config.yaml and run start-cli auth login first.'; exit 1; }
	start-cli package install recap.s9pk

# ── StartOS 0.4 package (startos/, TypeScript on start-sdk) ──────────────
# Needs Docker with buildx and Start9's start-cli (0.4); `make test` needs
# only Node and npm. start-cli builds the image from startos/Dockerfile
# (the same image as the 0.3.5 package) for each architecture.

package-0.4: recap_x86_64.s9pk recap_aarch64.s9pk ## build the StartOS 0.4 packages (Docker, start-cli)

startos/javascript/index.js: startos/node_modules $(shell find startos -maxdepth 2 -name '*.ts' -not -path '*/node_modules/*' 2>/dev/null)
	cd startos && npm run --silent check && npm run --silent build

recap_%.s9pk: startos/javascript/index.js $(GO_SOURCES) startos/Dockerfile
	cd startos && start-cli s9pk pack --arch=$* -o ../$@
	@ls -l $@
