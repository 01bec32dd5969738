package probe

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"

	"github.com/hashicorp/go-multierror"
)

// Probe kinds; the same strings as results.Kind*.
const (
	KindICMP = "icmp"
	KindTCP  = "tcp"
	KindUDP  = "udp"
	KindDNS  = "dns"
	KindHTTP = "http"
)

// Address families of a target (Target.Family).
const (
	FamilyIPv4 = "ipv4"
	FamilyIPv6 = "ipv6"
)

// Banner starts every answer of Serve: the TCP greeting line, the UDP reply
// and the HTTP body are "overlab-probe <hostname>".
const Banner = "overlab-probe"

// Default ports of Serve.
const (
	DefaultTCPPort  = 7000
	DefaultUDPPort  = 7001
	DefaultHTTPPort = 8080
)

// How a reachable result was established (Result.Via).
const (
	ViaEcho    = "echo"    // ICMP echo reply
	ViaBanner  = "banner"  // the peer answered as an overlab probe
	ViaConnect = "connect" // TCP handshake only (target not a probe)
	ViaReply   = "reply"   // a UDP reply that is not a probe banner
	ViaResolve = "resolve" // the name resolved
	ViaStatus  = "status"  // an HTTP response that is not a probe banner
)

// Target is one thing to reach.
type Target struct {
	ID   string `json:"id"`
	Kind string `json:"kind"` // icmp|tcp|udp|dns|http
	// Address is the IP or name to reach (icmp, tcp, udp, http without URL).
	// For dns it is optional: a resolver to ask instead of the container's
	// own (Docker's embedded DNS at 127.0.0.11 on user-defined networks).
	Address string `json:"address,omitempty"`
	Port    int    `json:"port,omitempty"` // tcp, udp, http without URL; dns resolver port (53)
	Name    string `json:"name,omitempty"` // dns: the name to resolve
	URL     string `json:"url,omitempty"`  // http
	// Probe says the target is an overlab probe: TCP, UDP and HTTP then count
	// as reachable only when its banner answers, so that a stray service at
	// the same address is not taken for the peer.
	Probe bool `json:"probe,omitempty"`
	// Auth proves the request with the run's token (tcp, udp, http): set it
	// when the target is, or may forward to, one of the run's probes, which
	// answer nothing else. A foreign service gets nothing extra.
	Auth bool `json:"auth,omitempty"`
	// TimeoutMS overrides the request's deadline for this target (a target
	// expected unreachable needs less time to prove it on a LAN).
	TimeoutMS int `json:"timeout_ms,omitempty"`
	// Family keeps the probe to one address family, ipv4 or ipv6: a name
	// resolves to its A or its AAAA records only, and is reached over that
	// family. Empty: any (an address literal has its own).
	Family string `json:"family,omitempty"`
}

// Result is the evidence for one Target.
type Result struct {
	ID        string   `json:"id"`
	Kind      string   `json:"kind"`
	Target    string   `json:"target"`
	Reachable bool     `json:"reachable"`
	RTTMS     float64  `json:"rtt_ms"`
	Tries     int      `json:"tries"`
	Error     string   `json:"error,omitempty"`
	Output    string   `json:"output,omitempty"` // raw evidence, short
	Addrs     []string `json:"addrs,omitempty"`  // dns
	Via       string   `json:"via,omitempty"`    // see Via* constants
	Peer      string   `json:"peer,omitempty"`   // hostname a probe answered with
	Status    int      `json:"status,omitempty"` // http
}

// Validate reports every problem of t at once.
func (t Target) Validate() error {
	var errs []error
	needAddr := func() {
		if t.Address == "" {
			errs = append(errs, errors.New("address is required"))
		}
	}
	needPort := func() {
		if t.Port < 1 || t.Port > 65535 {
			errs = append(errs, fmt.Errorf("port %d is not in 1-65535", t.Port))
		}
	}
	switch t.Kind {
	case KindICMP:
		needAddr()
	case KindTCP, KindUDP:
		needAddr()
		needPort()
	case KindDNS:
		if t.Name == "" {
			errs = append(errs, errors.New("name is required"))
		}
		if t.Port != 0 {
			needPort()
		}
	case KindHTTP:
		if t.URL == "" {
			needAddr()
			needPort()
		} else if u, err := url.Parse(t.URL); err != nil {
			errs = append(errs, fmt.Errorf("url: %w", err))
		} else if u.Scheme != "http" || u.Host == "" {
			errs = append(errs, fmt.Errorf("url %q: want http://host[:port]/path", t.URL))
		}
	case "":
		errs = append(errs, errors.New("kind is required (icmp, tcp, udp, dns or http)"))
	default:
		errs = append(errs, fmt.Errorf("kind %q is not one of icmp, tcp, udp, dns, http", t.Kind))
	}
	if t.TimeoutMS < 0 || t.TimeoutMS > MaxTimeoutMS {
		errs = append(errs, fmt.Errorf("timeout_ms %d: 0 to %d", t.TimeoutMS, MaxTimeoutMS))
	}
	if t.Family != "" && t.Family != FamilyIPv4 && t.Family != FamilyIPv6 {
		errs = append(errs, fmt.Errorf("family %q is not ipv4 or ipv6", t.Family))
	}
	if len(errs) == 1 {
		return errs[0] // reads as one sentence, not a list of one
	}
	return multierror.Append(nil, errs...).ErrorOrNil()
}

// network is the dial network of kind (tcp, udp) in the target's family.
func (t Target) network(kind string) string {
	switch t.Family {
	case FamilyIPv4:
		return kind + "4"
	case FamilyIPv6:
		return kind + "6"
	}
	return kind
}

// String is the target as written in Result.Target.
func (t Target) String() string {
	switch t.Kind {
	case KindTCP, KindUDP:
		return net.JoinHostPort(t.Address, strconv.Itoa(t.Port))
	case KindDNS:
		if t.Address != "" {
			return t.Name + "@" + t.resolverAddr()
		}
		return t.Name
	case KindHTTP:
		return t.url()
	default:
		return t.Address
	}
}

func (t Target) url() string {
	if t.URL != "" {
		return t.URL
	}
	return "http://" + net.JoinHostPort(t.Address, strconv.Itoa(t.Port)) + "/"
}

func (t Target) resolverAddr() string {
	port := t.Port
	if port == 0 {
		port = 53
	}
	return net.JoinHostPort(t.Address, strconv.Itoa(port))
}
