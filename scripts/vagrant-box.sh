#!/usr/bin/env bash
# Builds overlab's Vagrant box for libvirt offline from Debian's packages
# (mmdebstrap), caches it keyed by its inputs, and adds it to Vagrant as
# overlab/debian12. Needs root, mmdebstrap, qemu-utils, e2fsprogs, vagrant.
#
# The box boots its own kernel directly (no boot loader): the box's
# Vagrantfile hands vmlinuz, initrd and the command line to libvirt. It has
# Docker (docker.io), sshd, sudo, the kernel modules that overlay, IPVS,
# ESP and 802.1q labs need (loaded at boot), and a vagrant user whose key
# is generated here (not Vagrant's public insecure key).
#
# Network safety: the image has an EMPTY /etc/resolv.conf (never the
# machine's), takes no route, gateway or DNS server from DHCP, and has no
# default route. Its host keys are made at first boot, so VMs differ.
#
# Usage: scripts/vagrant-box.sh [--print-key]   (OVERLAB_BOX_CACHE, OVERLAB_BOX_MIRROR)
set -euo pipefail

name=overlab/debian12
cache_root=${OVERLAB_BOX_CACHE:-/var/cache/overlab/vagrant-box}
mirror=${OVERLAB_BOX_MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
mirror=${mirror:-http://deb.debian.org/debian}
packages=systemd-sysv,udev,kmod,dbus,iproute2,iputils-ping,openssh-server,sudo,docker.io,apparmor,linux-image-cloud-amd64,iptables,procps,ca-certificates,bridge-utils,vlan,ipvsadm,netcat-openbsd,ethtool,tcpdump
modules="ip_vs ip_vs_rr xt_ipvs esp4 xfrm_user 8021q vxlan macvlan ipvlan br_netfilter overlay"

# The cache key covers everything that shapes the box: this script (the
# package list, the modules, the files it writes) and the mirror.
key=$( (cat "$0"; echo "$mirror") | sha256sum | cut -c1-16)
if [[ "${1:-}" == --print-key ]]; then echo "$key"; exit 0; fi
[[ $(id -u) -eq 0 ]] || { echo "vagrant-box: needs root (mmdebstrap, mkfs)" >&2; exit 1; }
for c in mmdebstrap qemu-img mkfs.ext4 vagrant ssh-keygen; do
	command -v "$c" >/dev/null || { echo "vagrant-box: $c is missing (make setup-vm installs it)" >&2; exit 1; }
done

dir=$cache_root/$key
box=$dir/overlab-debian12.box
start=$(date +%s)

build() {
	local work root
	work=$(mktemp -d "$cache_root/build.XXXXXX")
	trap 'rm -rf "$work"' RETURN
	root=$work/root
	echo "vagrant-box: mmdebstrap bookworm from $mirror (about 1-2 min)"
	mmdebstrap --quiet --variant=apt --include="$packages" \
		--customize-hook='rm -f "$1"/etc/ssh/ssh_host_*' \
		bookworm "$root" "$mirror"
	customize "$root"

	mkdir -p "$work/box"
	cp "$root"/boot/vmlinuz-* "$work/box/vmlinuz"
	cp "$root"/boot/initrd.img-* "$work/box/initrd"
	ssh-keygen -q -t ed25519 -N '' -C "overlab vagrant box $key" -f "$work/box/vagrant_key"
	install -d -m 0700 -o 1000 -g 1000 "$root/home/vagrant/.ssh"
	install -m 0600 -o 1000 -g 1000 "$work/box/vagrant_key.pub" "$root/home/vagrant/.ssh/authorized_keys"
	rm "$work/box/vagrant_key.pub"

	echo "vagrant-box: ext4 image and qcow2"
	truncate -s 3G "$work/root.img"
	mkfs.ext4 -q -L root -d "$root" "$work/root.img"
	qemu-img convert -O qcow2 "$work/root.img" "$work/box/box.img"
	rm "$work/root.img"
	rm -rf "$root"

	printf '{"provider":"libvirt","format":"qcow2","virtual_size":3}\n' >"$work/box/metadata.json"
	echo "$key" >"$work/box/overlab-box-key"
	box_vagrantfile >"$work/box/Vagrantfile"
	tar -C "$work/box" -cf "$work/box.tar" .
	mkdir -p "$dir"
	mv "$work/box.tar" "$box"
}

# customize writes the files that make the image a safe, boot-ready guest.
customize() {
	local root=$1
	: >"$root/etc/resolv.conf" # empty: no resolver at all, never the machine's
	echo overlab >"$root/etc/hostname"
	echo "LABEL=root / ext4 rw,errors=remount-ro 0 1" >"$root/etc/fstab"
	printf '%s\n' $modules >"$root/etc/modules-load.d/overlab.conf"

	# eth0 (management): an address from libvirt's DHCP and nothing else.
	mkdir -p "$root/etc/systemd/network"
	cat >"$root/etc/systemd/network/10-mgmt.network" <<-'EOF'
		[Match]
		Name=eth0
		[Network]
		DHCP=ipv4
		IPv6AcceptRA=no
		LinkLocalAddressing=no
		[DHCPv4]
		UseDNS=no
		UseRoutes=no
		UseGateway=no
		UseNTP=no
		UseDomains=no
		UseHostname=no
	EOF
	chroot "$root" systemctl enable systemd-networkd.service >/dev/null 2>&1
	chroot "$root" systemctl mask systemd-networkd-wait-online.service >/dev/null 2>&1

	# Host keys at first boot: every VM gets its own (no RSA: generating
	# one takes long under software emulation).
	cat >"$root/etc/systemd/system/overlab-hostkeys.service" <<-'EOF'
		[Unit]
		Description=SSH host keys of this VM
		Before=ssh.service
		[Service]
		Type=oneshot
		ExecStart=/bin/sh -c 'for t in ed25519 ecdsa; do f=/etc/ssh/ssh_host_$${t}_key; [ -f $$f ] || ssh-keygen -q -t $$t -N "" -f $$f; done'
		[Install]
		WantedBy=multi-user.target
	EOF
	chroot "$root" systemctl enable overlab-hostkeys.service >/dev/null 2>&1

	# Lab NICs promiscuous (macvlan containers' MACs), at every boot.
	cat >"$root/etc/systemd/system/overlab-promisc.service" <<-'EOF'
		[Unit]
		Description=Promiscuous mode on the lab interfaces (macvlan)
		After=systemd-networkd.service
		[Service]
		Type=oneshot
		ExecStart=/bin/sh -c 'for d in /sys/class/net/eth[1-9]*; do [ -e "$$d" ] && ip link set dev "$${d##*/}" promisc on; done; true'
		RemainAfterExit=yes
		[Install]
		WantedBy=multi-user.target
	EOF
	chroot "$root" systemctl enable overlab-promisc.service >/dev/null 2>&1

	# Nothing that a lab VM does not need, and nothing that wants a network
	# (apt timers) or CPU time at boot under emulation.
	chroot "$root" systemctl mask apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
		fstrim.timer e2scrub_all.timer e2scrub_reap.service ipvsadm.service >/dev/null 2>&1

	# No registry: swarm tasks use the local image without trying to pull.
	mkdir -p "$root/etc/systemd/system/docker.service.d"
	printf '[Service]\nEnvironment=DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1\n' >"$root/etc/systemd/system/docker.service.d/overlab.conf"

	chroot "$root" useradd -m -u 1000 -s /bin/bash -G docker,sudo vagrant
	echo 'vagrant ALL=(ALL) NOPASSWD: ALL' >"$root/etc/sudoers.d/vagrant"
	chmod 0440 "$root/etc/sudoers.d/vagrant"
	# The serial console logs in nobody; root has no password.
	chroot "$root" passwd -l root >/dev/null
	rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
}

# box_vagrantfile: settings that belong to the box (its kernel, key and
# console) rather than to the lab.
box_vagrantfile() {
	cat <<-'EOF'
		# overlab/debian12: Debian 12 booted directly from its own kernel.
		box_dir = File.expand_path(__dir__)
		Vagrant.configure("2") do |config|
		  config.ssh.username = "vagrant"
		  config.ssh.private_key_path = File.join(box_dir, "vagrant_key")
		  config.ssh.insert_key = false
		  config.vm.synced_folder ".", "/vagrant", disabled: true
		  config.vm.provider :libvirt do |lv|
		    lv.kernel = File.join(box_dir, "vmlinuz")
		    lv.initrd = File.join(box_dir, "initrd")
		    lv.cmd_line = "console=ttyS0 root=/dev/vda rw net.ifnames=0 quiet apparmor=0"
		    lv.graphics_type = "none"
		    lv.video_type = "none"
		  end
		end
	EOF
}

mkdir -p "$cache_root"
if [[ -f $box ]]; then
	echo "vagrant-box: cached $box"
else
	build
	echo "vagrant-box: built $box in $(($(date +%s) - start)) s"
fi

added=$(vagrant box list --machine-readable 2>/dev/null | awk -F, '$3=="box-name" {print $4}' | grep -cx "$name" || true)
have=$(cat "${VAGRANT_HOME:-$HOME/.vagrant.d}/boxes/${name//\//-VAGRANTSLASH-}/0/libvirt/overlab-box-key" 2>/dev/null || true)
if [[ $added -eq 0 || $have != "$key" ]]; then
	vagrant box add --force --name "$name" "$box" >/dev/null
	echo "vagrant-box: added $name ($key) to Vagrant"
else
	echo "vagrant-box: $name ($key) already added"
fi
echo "vagrant-box: done in $(($(date +%s) - start)) s"
