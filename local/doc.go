// Package local is overlab's local provider: N real Docker hosts on one Linux
// machine. Each host is a network namespace plus its own mount and UTS
// namespaces, running its own dockerd and OpenSSH sshd, wired to the other
// hosts through a Linux bridge that plays the lab's underlay. Hosts have no
// default route, so nothing inside can reach beyond the lab.
//
// Hosts run the machine's own engine, or another generation (Engine) from a
// Debian root filesystem that RootfsCache builds once with mmdebstrap; each
// such host pivots into its own overlay of that tree (see docs/engines.md).
package local
