# overlab: Docker multi-host networking labs over SSH.
# `sudo make demo` sets up, builds and runs the main job on local lab hosts;
# `sudo make test` runs every test, the end-to-end ones on real local hosts.

GO      ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
BIN     := bin/overlab
HOSTS   ?= 3
export PATH := $(PATH):/usr/local/go/bin

# The end-to-end packages, run again on each other engine generation.
E2E_PKGS := ./local/... ./cluster/... ./probeimage/... ./runner/... ./cmd/... ./existing/... ./blueprint/... ./watch/...

.PHONY: setup setup-test setup-engines build release cross test test-engine test-short test-vm test-fuzz vagrant-box demo bench down clean

setup:
	@./scripts/setup.sh

# The dedicated probes first, one per host architecture: overlab embeds them
# as the probe image's program (7 MB instead of its own 16 MB), and each
# host gets the one of its architecture. Static, with no C library in the image.
PROBE_ARCHS := amd64 arm64
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/overlab/overlab/version.version=$(VERSION)
GOBUILD = CGO_ENABLED=0 $(GO) build -trimpath

build:
	for a in $(PROBE_ARCHS); do GOOS=linux GOARCH=$$a $(GOBUILD) -ldflags='-s -w' -o probeimage/embedded/overlab-probe-linux-$$a ./cmd/overlab-probe || exit 1; done
	$(GOBUILD) -ldflags='$(LDFLAGS)' -o $(BIN) ./cmd/overlab

# Release archives for linux, darwin and windows on amd64 and arm64, each
# binary embedding both probes, and their SHA-256 checksums, into dist/
# (VERSION=v1.2.3 names them; default: git describe).
release: build
	$(GO) run ./scripts/release --version $(VERSION) --out dist

# Every release target builds, and go vet passes for it (test files
# included): overlab runs on Macs and Windows, not only here. Two targets at
# a time: one go command alone keeps about one core busy here.
CROSS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
cross:
	@printf '%s\n' $(CROSS) | xargs -P 2 -I{} sh -c 'set -e; t={}; \
		GOOS=$${t%/*} GOARCH=$${t#*/} CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/overlab; \
		GOOS=$${t%/*} GOARCH=$${t#*/} CGO_ENABLED=0 $(GO) vet ./...; \
		echo "ok: $$t builds, go vet passes"'

# The tests also need Chromium (the HTML report and watch's live page are
# checked in a real browser), Graphviz and Mermaid (the pictures' DOT and
# Mermaid are parsed), Vagrant (the Vagrantfile is validated), qemu-user
# (the arm64 probe runs under emulation) and Prometheus (promtool checks
# watch's metrics and alert rules, the server scrapes a watch);
# setup-test adds them.
setup-test:
	@OVERLAB_SETUP_EXTRAS="chromium graphviz mermaid vagrant vm arm64 prometheus" ./scripts/setup.sh

# overlab's Vagrant box for libvirt, built offline from Debian's packages
# and cached by its inputs (first build about 3-6 min, then seconds).
vagrant-box:
	@OVERLAB_SETUP_EXTRAS="vm" ./scripts/setup.sh
	./scripts/vagrant-box.sh

# Docker Engines 26.1 (Debian 13's docker.io) and 28.5 (Debian forky's)
# run from a root filesystem of their suite, built once into
# /var/cache/overlab/rootfs (about 90 s and 40 s).
CHROOT_ENGINES := 26.1 28.5
setup-engines: setup build
	for e in $(CHROOT_ENGINES); do ./$(BIN) local rootfs --engine $$e || exit 1; done

# Every test on this machine's engine, then the end-to-end ones again on
# Engines 26.1 and 28.5 (`overlab local up --engine 26.1` hosts, then 28.5).
test: setup-test build setup-engines
	$(MAKE) --no-print-directory cross
	./scripts/vagrant-validate.sh
	$(GO) test -count=1 -timeout 45m ./...
	$(GO) test -race -count=1 ./vagrant/
	OVERLAB_TEST_UNIT_ONLY=1 $(GO) test -race -short -count=1 $(RACE_PKGS)
	$(MAKE) --no-print-directory test-fuzz
	$(MAKE) --no-print-directory test-engine ENGINE=26.1
	$(MAKE) --no-print-directory test-engine ENGINE=28.5
	$(MAKE) --no-print-directory test-vm

# ENGINE: the engine generation of the local hosts (`local up --engine`);
# empty for this machine's own; test-engine's default is 26.1.
ENGINE ?=
test-engine: build setup-engines
	OVERLAB_TEST_ENGINE=$(or $(ENGINE),26.1) $(GO) test -count=1 -timeout 45m $(E2E_PKGS)

# Real VMs (qemu on two cores, about 20 min), last in `make test`: the box
# (built or cached), overlab vagrant up --nodes 3 with libvirt, the swarm
# lab, a cut link, the real-kernel labs, the fault labs, and a teardown
# that leaves nothing.
test-vm: build
	$(GO) test -tags vm -count=1 -timeout 75m -run TestVagrantLibvirtEndToEnd -v ./vagrant/

test-short:
	$(GO) test -short ./...

# The race detector over the unit tests (-short: no lab hosts) of the
# packages that do things concurrently: 37 s of CPU, under 1 min on 2 idle cores.
RACE_PKGS := ./fanout ./interrupt ./execx ./cluster ./swarm ./overlay ./workload ./check ./runner ./probe ./inventory/... ./lab ./cmd ./blueprint ./netdriver ./session ./existing ./watch

# Every fuzz target for a bounded time (their seeds also run in `go test`):
# 9 x 10 s of fuzzing plus the instrumented builds: about 3 min on 2 idle cores
# for the first 7, 24 s more for FuzzParseSSHSpec and FuzzFromSwarm.
FUZZTIME ?= 10s
FUZZ := ./inventory:FuzzLoad ./lab:FuzzLoad ./blueprint:FuzzCompile ./inventory/importer:FuzzVagrantSSHConfig \
	./inventory/importer:FuzzAnsibleINI ./inventory/importer:FuzzAnsibleYAML ./inventory/importer:FuzzParseIPAddr \
	./inventory/importer:FuzzParseSSHSpec ./inventory/importer:FuzzFromSwarm
test-fuzz:
	@for t in $(FUZZ); do \
		echo "fuzz $$t for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t##*:}$$" -fuzztime $(FUZZTIME) $${t%%:*} || exit 1; \
	done

# The main job on local hosts: 3 Docker hosts, a swarm with an overlay and a
# macvlan network, probes on every host, and the reachability matrix.
demo: setup build
	./$(BIN) local up --hosts $(HOSTS) $(if $(ENGINE),--engine $(ENGINE))
	./$(BIN) up
	./$(BIN) check

down: build
	-./$(BIN) down
	./$(BIN) local down

# The README's figures: 3, 6, 10 and 16 fresh hosts, on this machine's
# engine and on Engines 26.1 and 28.5 (BENCH_HOSTS, BENCH_ENGINES to change them).
BENCH_HOSTS   ?= 3 6 10 16
BENCH_ENGINES ?= 20.10 26.1 28.5
bench: build setup-engines
	for e in $(BENCH_ENGINES); do BENCH_ENGINE=$$e ./scripts/bench.sh $(BENCH_HOSTS) || exit 1; done

clean:
	rm -rf bin dist probeimage/embedded/overlab-probe-*
