package existing

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/overlab/overlab/lab"
)

// Request is what the user asked to check.
type Request struct {
	Networks []string
	Services []ServiceRef
	// Expect, when set, holds expectations (a lab file's expect: rows) in
	// place of the defaults.
	Expect *lab.Lab
}

// ServiceRef is one --services entry: a swarm service and the port it
// serves, NAME:PORT[/tcp|/udp].
type ServiceRef struct {
	Name  string
	Port  int
	Proto string // tcp or udp
}

func (s ServiceRef) String() string { return fmt.Sprintf("%s:%d/%s", s.Name, s.Port, s.Proto) }

var dockerName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// ParseRequest reads --networks and --services; every bad entry is named.
func ParseRequest(networks, services []string) (Request, error) {
	var r Request
	var bad []string
	seen := map[string]bool{}
	for _, n := range splitList(networks) {
		switch {
		case !dockerName.MatchString(n):
			bad = append(bad, fmt.Sprintf("--networks %q: not a Docker network name", n))
		case !seen[n]:
			seen[n] = true
			r.Networks = append(r.Networks, n)
		}
	}
	if len(r.Networks) == 0 && len(bad) == 0 {
		bad = append(bad, "--networks: name at least one network (NAME[,NAME...])")
	}
	for _, s := range splitList(services) {
		ref, err := parseService(s)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		r.Services = append(r.Services, ref)
	}
	if len(bad) > 0 {
		return r, fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return r, nil
}

func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func parseService(s string) (ServiceRef, error) {
	ref := ServiceRef{Proto: "tcp"}
	name, rest, ok := strings.Cut(s, ":")
	port, proto, hasProto := strings.Cut(rest, "/")
	if hasProto {
		ref.Proto = proto
	}
	p, err := strconv.Atoi(port)
	switch {
	case !ok || !dockerName.MatchString(name):
		return ref, fmt.Errorf("--services %q: want NAME:PORT[/tcp|/udp], e.g. api:8080", s)
	case err != nil || p < 1 || p > 65535:
		return ref, fmt.Errorf("--services %q: %q is not a port (1-65535)", s, port)
	case ref.Proto != "tcp" && ref.Proto != "udp":
		return ref, fmt.Errorf("--services %q: protocol %q: want tcp or udp", s, ref.Proto)
	}
	ref.Name, ref.Port = name, p
	return ref, nil
}
