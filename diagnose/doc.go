// Package diagnose reads a check's result document and names the patterns
// behind its failed probes: a host cut off, a host that only fails on
// overlays (VXLAN or gossip ports), an MTU too small for VXLAN, names that
// do not resolve while addresses answer, a whole network or a whole row
// failing. Each diagnosis says its likely cause, the evidence and the fix;
// where the probes fit more than one cause it says so and names the
// `overlab doctor` checks that tell them apart.
//
// It is pure: no I/O, the same document always gives the same diagnoses.
package diagnose
