#!/bin/sh
# Checks the top-level Vagrantfile offline with Debian's vagrant package:
# `vagrant validate` for 1, 3 and 5 nodes with the libvirt provider's
# settings checked, and each architecture's branch (amd64 and arm64 VMs)
# with --ignore-provider: the VirtualBox, VMware Desktop and Parallels
# plugins and hypervisors cannot be installed here, so Vagrant evaluates
# their blocks and checks the common settings (box, networks, provisioners)
# but not those providers' own settings. Last, that bad settings are refused. No box is downloaded and no VM is started.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)

if ! command -v vagrant >/dev/null 2>&1; then
	echo "installing vagrant (Debian package, about 80 s)..."
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q vagrant >/dev/null
fi

# Validate a copy, so that vagrant's .vagrant/ state stays out of the tree.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$repo/Vagrantfile" "$work/"
export VAGRANT_CWD="$work" VAGRANT_CHECKPOINT_DISABLE=1 VAGRANT_NO_COLOR=1

for n in 1 3 5; do
	OVERLAB_NODES=$n VAGRANT_DEFAULT_PROVIDER=libvirt vagrant validate >/dev/null
	OVERLAB_NODES=$n vagrant validate --ignore-provider >/dev/null
	echo "ok: Vagrantfile with $n node(s)"
done

# --ignore-provider still evaluates every provider's block, the absent ones'
# too (a Ruby error in the Parallels block fails it), but checks no
# provider's own settings; libvirt's are checked for real.
for arch in amd64 arm64; do
	OVERLAB_ARCH=$arch vagrant validate --ignore-provider >/dev/null
	OVERLAB_ARCH=$arch VAGRANT_DEFAULT_PROVIDER=libvirt vagrant validate >/dev/null
	echo "ok: $arch VMs: every provider's block evaluated (virtualbox, vmware_desktop, parallels, libvirt), libvirt's settings checked"
done

# The box follows the architecture unless OVERLAB_BOX says otherwise.
box() { OVERLAB_ARCH=$1 ruby -e 'module Vagrant; def self.configure(*); end; end; load ARGV[0]; puts BOX' "$work/Vagrantfile"; }
[ "$(box amd64)" = debian/bookworm64 ] && [ "$(box arm64)" = bento/debian-12-arm64 ] || {
	echo "FAIL: boxes $(box amd64), $(box arm64): want debian/bookworm64 for amd64, bento/debian-12-arm64 for arm64" >&2
	exit 1
}
echo "ok: amd64 VMs get debian/bookworm64, arm64 VMs bento/debian-12-arm64"
# Without OVERLAB_ARCH, the VMs are of this machine's CPU.
case $(uname -m) in aarch64 | arm64) want=bento/debian-12-arm64 ;; *) want=debian/bookworm64 ;; esac
[ "$(box '')" = "$want" ] || { echo "FAIL: on $(uname -m) the default box is $(box ''), want $want" >&2; exit 1; }
echo "ok: on $(uname -m) the default box is $want"

for bad in OVERLAB_NODES=0 OVERLAB_NODES=abc OVERLAB_NODES=21 OVERLAB_ARCH=armhf; do
	if env "$bad" vagrant validate --ignore-provider >/dev/null 2>&1; then
		echo "FAIL: $bad was accepted" >&2
		exit 1
	fi
done
echo "ok: bad node counts and architectures are refused"
