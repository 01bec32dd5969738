# overlab: Docker multi-host networking labs over SSH.
# `sudo make demo` sets up, builds and runs the main job on local lab hosts;
# `sudo make test` runs every test, the end-to-end ones on real local hosts.

GO      ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
BIN     := bin/overlab
HOSTS   ?= 3
export PATH := $(PATH):/usr/local/go/bin

# The end-to-end packages, run a second time on the second engine generation.
E2E_PKGS := ./local/... ./cluster/... ./probeimage/... ./runner/... ./cmd/... ./existing/... ./blueprint/...

.PHONY: setup setup-test setup-engines build test test-engine test-short test-vm test-fuzz vagrant-box demo bench down clean

setup:
	@./scripts/setup.sh

# The dedicated probe first: overlab embeds it as the probe image's program
# (7 MB instead of its own 16 MB). Static, with no C library in the image.
PROBE   = probeimage/embedded/overlab-probe-linux-$(shell $(GO) env GOARCH)
GOBUILD = CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w'

build:
	$(GOBUILD) -o $(PROBE) ./cmd/overlab-probe
	$(GOBUILD) -o $(BIN) ./cmd/overlab

# The tests also need Chromium (the HTML report is checked in a real
# browser), Graphviz and Mermaid (the pictures' DOT and Mermaid are parsed)
# and Vagrant (the Vagrantfile is validated); setup-test adds them.
setup-test:
	@OVERLAB_SETUP_EXTRAS="chromium graphviz mermaid vagrant vm" ./scripts/setup.sh

# overlab's Vagrant box for libvirt, built offline from Debian's packages
# and cached by its inputs (first build about 3-6 min, then seconds).
vagrant-box:
	@OVERLAB_SETUP_EXTRAS="vm" ./scripts/setup.sh
	./scripts/vagrant-box.sh

# Docker Engine 26.1 (Debian 13's docker.io) runs from a Debian 13 root
# filesystem, built once into /var/cache/overlab/rootfs (about 90 s).
setup-engines: setup build
	./$(BIN) local rootfs --engine 26.1

# Every test on this machine's engine, then the end-to-end ones again on
# Engine 26.1 (`overlab local up --engine 26.1` hosts).
test: setup-test build setup-engines
	./scripts/vagrant-validate.sh
	$(GO) test -count=1 -timeout 45m ./...
	$(GO) test -race -count=1 ./vagrant/
	OVERLAB_TEST_UNIT_ONLY=1 $(GO) test -race -short -count=1 $(RACE_PKGS)
	$(MAKE) --no-print-directory test-fuzz
	$(MAKE) --no-print-directory test-engine ENGINE=26.1
	$(MAKE) --no-print-directory test-vm

# ENGINE: the engine generation of the local hosts (`local up --engine`);
# empty for this machine's own, 26.1 for test-engine.
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
RACE_PKGS := ./fanout ./execx ./cluster ./swarm ./overlay ./workload ./check ./runner ./probe ./inventory/... ./lab ./cmd ./blueprint ./netdriver ./session ./existing

# Every fuzz target for a bounded time (their seeds also run in `go test`):
# 6 x 10 s of fuzzing plus the instrumented build, about 3 min on 2 idle cores.
FUZZTIME ?= 10s
FUZZ := ./inventory:FuzzLoad ./lab:FuzzLoad ./blueprint:FuzzCompile ./inventory/importer:FuzzVagrantSSHConfig \
	./inventory/importer:FuzzAnsibleINI ./inventory/importer:FuzzAnsibleYAML ./inventory/importer:FuzzParseIPAddr
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
# engine and on Engine 26.1 (BENCH_HOSTS, BENCH_ENGINES to change them).
BENCH_HOSTS   ?= 3 6 10 16
BENCH_ENGINES ?= 20.10 26.1
bench: build setup-engines
	for e in $(BENCH_ENGINES); do BENCH_ENGINE=$$e ./scripts/bench.sh $(BENCH_HOSTS) || exit 1; done

clean:
	rm -rf bin probeimage/embedded/overlab-probe-*
