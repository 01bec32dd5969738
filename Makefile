# overlab: Docker multi-host networking labs over SSH.
# `sudo make demo` sets up, builds and runs the main job on local lab hosts;
# `sudo make test` runs every test, the end-to-end ones on real local hosts.

GO      ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
BIN     := bin/overlab
HOSTS   ?= 3
export PATH := $(PATH):/usr/local/go/bin

.PHONY: setup build test test-short demo bench down clean

setup:
	@./scripts/setup.sh

# Static, so that the same binary runs inside the probe containers.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/overlab

test: build
	$(GO) test -count=1 -timeout 30m ./...

test-short:
	$(GO) test -short ./...

demo: setup build
	./$(BIN) local up --hosts $(HOSTS)
	./$(BIN) local status

down: build
	./$(BIN) local down

bench: build
	./scripts/bench.sh

clean:
	rm -rf bin
