package validname

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/distribution/reference"
)

// MaxInterface is the longest Linux interface name (IFNAMSIZ - 1).
const MaxInterface = 15

var (
	ifaceRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	// A DNS label as Docker's embedded DNS serves them: RFC 1123, plus the
	// underscores that container and service names may hold.
	labelRe = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$`)
)

// Interface checks a Linux network interface name, as a macvlan parent
// (eth0, ens3, enp0s3, bond0, eth0.100): 1 to 15 letters, digits, '_', '.'
// or '-', starting with a letter or digit.
func Interface(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("empty interface name")
	case len(s) > MaxInterface:
		return fmt.Errorf("%q is not an interface name: Linux allows at most %d characters", s, MaxInterface)
	case !ifaceRe.MatchString(s):
		return fmt.Errorf("%q is not an interface name: use letters, digits, '_', '.' and '-', starting with a letter or digit (like eth0, ens3 or eth0.100)", s)
	}
	return nil
}

// DNSName checks a name to resolve: dot-separated labels of letters,
// digits, '-' and '_' (1 to 63 each, not starting or ending with '-'), at
// most 253 characters, an optional final dot.
func DNSName(s string) error {
	name := strings.TrimSuffix(s, ".")
	if name == "" || len(name) > 253 {
		return fmt.Errorf("%q is not a DNS name: 1 to 253 characters", s)
	}
	for _, l := range strings.Split(name, ".") {
		if !labelRe.MatchString(l) {
			return fmt.Errorf("%q is not a DNS name: each dot-separated part is 1 to 63 letters, digits, '-' or '_', not starting or ending with '-'", s)
		}
	}
	return nil
}

// ImageRef checks an image reference against Docker's grammar
// (NAME[:TAG][@DIGEST], e.g. nginx, nginx:1.27, registry:5000/team/app@sha256:...).
func ImageRef(s string) error {
	if _, err := reference.ParseNormalizedNamed(s); err != nil {
		return fmt.Errorf("%q is not an image reference (NAME[:TAG][@DIGEST], like nginx:1.27): %v", s, err)
	}
	return nil
}
