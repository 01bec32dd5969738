// Package check runs a lab's expectations on the hosts: it expands them into
// concrete probes, resolves every target to an address, runs all the probes
// of one source container in a single exec of the probe program, and turns
// the answers into result rows that say whether each matched what the lab
// expects.
package check
