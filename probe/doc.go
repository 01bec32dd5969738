// Package probe is the program that runs inside the lab's probe containers.
//
// Serve answers on a TCP port (banner then echo), a UDP port (one reply per
// datagram, never longer than it) and one or more HTTP ports, so that a peer
// can prove it reached this container and not merely something at that
// address. It answers only requests proven with a run's token (auth.go):
// each check installs one (`probe auth`, on stdin) and proves every request
// with an HMAC over a fresh nonce; the answer carries the server's proof. Run reaches a
// list of targets concurrently (ICMP echo, TCP, UDP, DNS, HTTP), each retried
// a bounded number of times within a short deadline, and returns one Result
// per target with the evidence. The check calls Run once per source
// container through one `docker exec ... overlab probe run`, with the targets
// as JSON on stdin and the Report as JSON on stdout (see Request and Report).
//
// Everything here is pure Go with no Docker dependency: the binary must stay
// statically linked (CGO_ENABLED=0) because it is the probe image's only
// program besides busybox.
package probe
