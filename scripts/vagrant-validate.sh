#!/bin/sh
# Checks the top-level Vagrantfile offline with Debian's vagrant package:
# `vagrant validate` for 1, 3 and 5 nodes with the libvirt provider's
# settings checked (VirtualBox cannot be installed in CI, so its settings are
# checked with --ignore-provider), and that a bad node count is refused.
# No box is downloaded and no VM is started.
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

for bad in 0 abc 21; do
	if OVERLAB_NODES=$bad vagrant validate --ignore-provider >/dev/null 2>&1; then
		echo "FAIL: OVERLAB_NODES=$bad was accepted" >&2
		exit 1
	fi
done
echo "ok: bad node counts are refused"
