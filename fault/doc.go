// Package fault breaks a lab host's network on purpose, for teaching and for
// testing the diagnoses: cut its lab link, block a port, shrink its MTU, add
// delay or loss (where the kernel has netem). Each fault is made over the
// host's SSH connection with ip, iptables or tc, and recorded on the host
// itself (/var/run/overlab-faults, gone with a reboot like the fault) with
// the commands that undo it, so that heal and `overlab down` remove every
// fault and nothing else.
//
// An MTU fault stalls the SSH connections opened before it when they run
// over the lab link (their segments no longer fit, and a drop on a veth or
// a switch sends no ICMP back): use a new connection after it.
package fault
