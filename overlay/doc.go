// Package overlay creates and removes a lab's Docker networks on the hosts:
// attachable overlay networks, swarm-scoped macvlan networks built from one
// config-only network per host, local macvlan and user-defined bridges. Every
// network it creates carries the label overlab.lab, so it removes only its own.
package overlay
