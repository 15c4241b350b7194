# yardsync — see README.md. Every target works on a fresh machine of this kind.
GO      ?= go
BIN     := bin/yardsync
PKGS    := ./...
# staticcheck, pinned in go.mod as a tool (go get -tool ...@v0.8.2), so `go tool staticcheck` and
# `go run honnef.co/go/tools/cmd/staticcheck` both find it
# without touching go.mod.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck

.PHONY: build test demo demo-stop bench lint fuzz clean services browser rules

build:
	$(GO) build -ldflags "-X main.version=$$(git describe --always --dirty 2>/dev/null || echo dev)" -o $(BIN) ./cmd/yardsync

services:
	@./scripts/services.sh

browser:
	@./scripts/chromium.sh

# rules checks the Prometheus alerts (deploy/yardsync.rules.yml) with promtool,
# fetched from Debian's prometheus package when missing.
rules:
	@./scripts/promtool.sh

test: services browser rules
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) run $(STATICCHECK) $(PKGS)
	$(GO) test -race -count=1 $(PKGS)

lint:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	$(GO) run $(STATICCHECK) $(PKGS)

demo: services build
	@./scripts/demo.sh

demo-stop:
	@./scripts/demo-stop.sh

# fuzz explores the request decoders beyond their seed corpus (api/testdata/fuzz),
# which make test runs every time; FUZZTIME=5m for a longer run.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $${FUZZTIME:-30s} ./api/

bench: services build
	@./scripts/bench.sh

clean:
	rm -rf bin
