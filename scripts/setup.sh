#!/usr/bin/env bash
# Installs what overlab's local provider and tests need, from Debian's
# packages. Idempotent and quiet when everything is already there.
set -euo pipefail

# command -> Debian package
declare -A need=(
	[dockerd]=docker.io
	[/usr/sbin/sshd]=openssh-server
	[iptables]=iptables
	[busybox]=busybox-static
	[ip]=iproute2
	[nsenter]=util-linux
	[ssh]=openssh-client
	[mmdebstrap]=mmdebstrap # builds the root filesystem of the second engine generation
	[gcc]=gcc # a cgo build of overlab is tested as the probe
	[nft]=nftables # a local host's cut link (fault cut, host-cut lab) drops macvlan frames too
)
# Extras for the tests, installed with their recommends (Chromium's fonts).
declare -A extra=()
if [[ "${OVERLAB_SETUP_EXTRAS:-}" == *chromium* ]]; then extra[/usr/bin/chromium]=chromium; fi
# The pictures' DOT is read by Graphviz in the tests, their Mermaid by
# Mermaid's own parser (from npm, below).
if [[ "${OVERLAB_SETUP_EXTRAS:-}" == *graphviz* ]]; then extra[dot]=graphviz; fi
if [[ "${OVERLAB_SETUP_EXTRAS:-}" == *mermaid* ]] && ! command -v npm >/dev/null 2>&1; then extra[npm]=npm; fi
if [[ "${OVERLAB_SETUP_EXTRAS:-}" == *vagrant* ]]; then extra[vagrant]=vagrant; fi
# promtool checks watch's metrics and alert rules; the prometheus server
# scrapes a watch in a test. Without recommends (node-exporter is not needed).
declare -A lean=()
if [[ "${OVERLAB_SETUP_EXTRAS:-}" == *prometheus* ]]; then lean[promtool]=prometheus; fi
# Real VMs (make vagrant-box, the VM end-to-end test): libvirt with qemu,
# and mmdebstrap to build the box offline.
if [[ "${OVERLAB_SETUP_EXTRAS:-}" == *vm* ]]; then
	extra[vagrant]=vagrant
	extra[/usr/sbin/libvirtd]=libvirt-daemon-system
	extra[virsh]=libvirt-clients
	extra[qemu-system-x86_64]=qemu-system-x86
	extra[qemu-img]=qemu-utils
	extra[mmdebstrap]=mmdebstrap
	extra[mkfs.ext4]=e2fsprogs
fi

# arm64 programs through qemu-user (the arm64 probe is run under emulation
# in the tests): Debian's static qemu and its binfmt_misc registration.
if [[ "${OVERLAB_SETUP_EXTRAS:-}" == *arm64* ]]; then
	extra[qemu-aarch64-static]=qemu-user-static
	extra[update-binfmts]=binfmt-support
fi

missing=() missing_extra=()
for cmd in "${!need[@]}" "${!lean[@]}"; do
	command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]:-${lean[$cmd]:-}}")
done
for cmd in "${!extra[@]}"; do
	command -v "$cmd" >/dev/null 2>&1 || missing_extra+=("${extra[$cmd]}")
done
# The Vagrantfile is validated with the libvirt provider: its plugin is only
# a recommend of vagrant, so it is asked for by name.
if [[ -n "${extra[vagrant]:-}" ]] && ! dpkg -s vagrant-libvirt >/dev/null 2>&1; then
	missing_extra+=(vagrant-libvirt)
fi
if ((${#missing[@]} + ${#missing_extra[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		echo "setup: need root to install: ${missing[*]} ${missing_extra[*]} (run: sudo make setup)" >&2
		exit 1
	fi
	echo "setup: installing ${missing[*]} ${missing_extra[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	if ((${#missing[@]})); then
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
	if ((${#missing_extra[@]})); then
		apt-get install -y -qq "${missing_extra[@]}" >/dev/null
	fi
fi

# The handler needs binfmt_misc mounted, which a machine whose PID 1 is not
# systemd may not have; F (fix binary) makes it work in namespaces and chroots.
if [[ "${OVERLAB_SETUP_EXTRAS:-}" == *arm64* ]] && ! grep -qs '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64; then
	if [[ ! -e /proc/sys/fs/binfmt_misc/register ]]; then
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
	fi
	update-binfmts --enable qemu-aarch64
fi

# Mermaid's one-file bundle, for report's TestMermaidParses only (overlab's
# pages never load it): the npm package, pinned, unpacked once.
mermaid_js=/var/cache/overlab/mermaid/mermaid.min.js
if [[ "${OVERLAB_SETUP_EXTRAS:-}" == *mermaid* && ! -s $mermaid_js ]]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	echo "setup: fetching Mermaid 11.17.2 from npm (for the pictures' test)"
	(cd "$tmp" && npm pack --silent mermaid@11.17.2 >/dev/null && tar xzf mermaid-11.17.2.tgz package/dist/mermaid.min.js)
	mkdir -p "$(dirname "$mermaid_js")"
	mv "$tmp/package/dist/mermaid.min.js" "$mermaid_js"
fi

if ! command -v go >/dev/null 2>&1 && [[ ! -x /usr/local/go/bin/go ]]; then
	echo "setup: Go is missing: install Go 1.26 or newer (https://go.dev/dl/) into /usr/local/go" >&2
	exit 1
fi
