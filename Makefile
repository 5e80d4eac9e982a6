# Tessera — the two commands that matter: `make run` and `make test`.
GO       ?= go
BIN      := bin/tessera
DATA     ?= ./tessera-data
ADDR     ?= 127.0.0.1:8080
ADMIN_EMAIL    ?= admin@example.com
ADMIN_PASSWORD ?= tessera-admin

.PHONY: run build test test-short bench fuzz vet lint clean

# staticcheck is pinned so every machine and CI report the same findings.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

## run: build and start Tessera on the embedded SQLite database in $(DATA)
run: build
	@$(BIN) user create --if-missing --admin --email $(ADMIN_EMAIL) --password $(ADMIN_PASSWORD) --name Admin --data $(DATA) >/dev/null
	@echo "Sign in as $(ADMIN_EMAIL) / $(ADMIN_PASSWORD)"
	$(BIN) serve --addr $(ADDR) --data $(DATA)

## build: compile the binary into bin/
build:
	$(GO) build -o $(BIN) ./cmd/tessera

## test: lint and every test; PostgreSQL suites run when TESSERA_TEST_DATABASE_URL is set
test: lint
	$(GO) test -count=1 ./...

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
	rm -rf bin
