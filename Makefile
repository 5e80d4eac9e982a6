# Tessera — the two commands that matter: `make run` and `make test`.
GO       ?= go
BIN      := bin/tessera
# `make run ADDR=… DATA=…`; without them the binary's own environment
# variables count, then the binary's defaults.
DATA     ?= $(or $(TESSERA_DATA),./tessera-data)
ADDR     ?= $(or $(TESSERA_ADDR),127.0.0.1:8080)
ADMIN_EMAIL    ?= admin@example.com
ADMIN_PASSWORD ?= tessera-admin

.PHONY: run build web web-test e2e test test-short bench fuzz vet lint clean

# staticcheck is pinned so every machine and CI report the same findings.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

# The web app (runtime/web, an npm workspace): node_modules from the lock
# file, dist/ from the sources — each rebuilt only when older than its inputs.
WEB_SRC := $(shell find runtime/web/src runtime/web/public -type f ! -name schema.gen.ts 2>/dev/null) \
	runtime/web/index.html runtime/web/vite.config.ts runtime/web/tsconfig.json runtime/web/package.json
NPM_DONE := node_modules/.package-lock.json

$(NPM_DONE): package-lock.json package.json runtime/web/package.json
	npm ci --no-audit --no-fund

runtime/web/dist/index.html: $(NPM_DONE) $(WEB_SRC)
	npm run build -w runtime/web

## web: build the web app into runtime/web/dist (embedded by the next go build)
web: runtime/web/dist/index.html

## web-test: type-check the web app and run its unit tests (Vitest)
web-test: $(NPM_DONE)
	npm run typecheck -w runtime/web
	npm test -w runtime/web

## e2e: browser tests (Playwright + Chromium) against the real binary with the web app embedded
e2e: web
	$(GO) build -o $(BIN) ./cmd/tessera
	node runtime/web/e2e/run.mjs --binary $(BIN)

## run: build and start Tessera on the embedded SQLite database in $(DATA),
## with the CRM template installed and its demo company generated the first time (app crm)
run: web build
	@$(BIN) user create --if-missing --admin --email $(ADMIN_EMAIL) --password $(ADMIN_PASSWORD) --name Admin --data $(DATA) >/dev/null
	@$(BIN) template install templates/crm --if-missing --data $(DATA)
	@$(BIN) gen crm --if-empty --data $(DATA)
	@echo "Sign in as $(ADMIN_EMAIL) / $(ADMIN_PASSWORD)"
	$(BIN) serve --addr $(ADDR) --data $(DATA)

## build: compile the binary into bin/
build:
	$(GO) build -o $(BIN) ./cmd/tessera

## test: lint and every test — Go (PostgreSQL suites when TESSERA_TEST_DATABASE_URL is set), web unit and browser tests
test: lint web-test
	$(GO) test -count=1 ./...
	$(MAKE) e2e

## lint: go.mod tidy, gofmt, go vet and staticcheck must all be clean
lint:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

vet:
	$(GO) vet ./...

## fuzz: run each fuzz target for a while (their seed corpora run in `make test`)
fuzz:
	$(GO) test ./engine/expr -run=XXX -fuzz=FuzzFilter -fuzztime=60s
	$(GO) test ./engine/meta -run=XXX -fuzz=FuzzParseSchema -fuzztime=60s
	$(GO) test ./engine/form -run=XXX -fuzz=FuzzCreate -fuzztime=60s

## bench: API vs hand-written SQL on SQLite (and PostgreSQL when TESSERA_TEST_DATABASE_URL is set)
bench: build
	$(BIN) bench

clean:
	rm -rf bin runtime/web/test-results
	find runtime/web/dist -mindepth 1 ! -name .keep -delete 2>/dev/null || true
