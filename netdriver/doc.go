// Package netdriver holds what overlab knows of each Docker network
// driver, one file per driver behind one interface: which lab fields it
// takes, its default scope, the kernel features it needs, whether its
// addresses live on the underlay, the exact Docker networks that make it on
// each host, and how a packet crosses it. Everything else (validation, the
// address plan, up, lab show --commands, explain, diagnoses) asks a Driver
// instead of switching on its name.
package netdriver
