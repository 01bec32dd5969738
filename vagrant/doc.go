// Package vagrant is overlab's VM provider: it drives Vagrant with the
// repository's Vagrantfile, writes the inventory of the VMs and records
// their host keys. With libvirt it also prepares this machine: the
// libvirt daemons when none runs, a storage pool, two isolated networks
// (management for SSH, the lab network 192.168.56.0/24) and an iptables
// chain that drops forwarding into or out of their bridges; down removes
// exactly what up made.
package vagrant
