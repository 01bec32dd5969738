package probe

import (
	"fmt"
	"strings"
)

// EchoSize is the size of a TCP probe's echo line and of a UDP probe's
// datagram with its IP and UDP headers: large enough that a path
// whose MTU is smaller than the network's (an overlay whose VXLAN packets do
// not fit the underlay) drops it, small enough to fit an overlay's default
// MTU of 1450 with its IP and TCP headers. A tiny echo passed such paths.
const EchoSize = 1400

// udpDatagram is a UDP probe's request of kind (udp, mtu), size bytes on
// the wire with its IP and UDP headers: with a token its first line is the
// proof (the nonce is returned for the reply's proof), else a greeting that
// only a probe started with --open answers.
func udpDatagram(try int, tok *Token, kind string, size int) (string, string) {
	s := fmt.Sprintf("%s ping %d\n", Banner, try)
	var nonce string
	if tok != nil {
		var line string
		line, nonce = tok.authLine(kind)
		s = line + "\n"
	}
	return s + strings.Repeat("x", max(0, size-udpIPHeaders-len(s))), nonce
}

// echoLine is the nonce line a TCP probe sends and expects back, EchoSize
// bytes with its newline.
func echoLine(nonce int64) string {
	s := fmt.Sprintf("ping %d ", nonce)
	return s + strings.Repeat("x", max(0, EchoSize-len(s)-1)) + "\n"
}
