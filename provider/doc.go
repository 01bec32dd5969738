// Package provider puts overlab's two host providers, local lab hosts in
// network namespaces and Vagrant VMs, behind one interface: a set of lab
// hosts that comes up with an inventory and goes down leaving nothing.
package provider
