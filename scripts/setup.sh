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
)
if [[ "${OVERLAB_SETUP_EXTRAS:-}" == *chromium* ]]; then need[/usr/bin/chromium]=chromium; fi
if [[ "${OVERLAB_SETUP_EXTRAS:-}" == *vagrant* ]]; then need[vagrant]=vagrant; fi

missing=()
for cmd in "${!need[@]}"; do
	command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
if ((${#missing[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		echo "setup: need root to install: ${missing[*]} (run: sudo make setup)" >&2
		exit 1
	fi
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v go >/dev/null 2>&1 && [[ ! -x /usr/local/go/bin/go ]]; then
	echo "setup: Go is missing: install Go 1.26 or newer (https://go.dev/dl/) into /usr/local/go" >&2
	exit 1
fi
