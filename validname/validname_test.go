package validname

import (
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		check func(string) error
		in    string
		ok    bool
	}{
		{Interface, "eth0", true},
		{Interface, "enp0s3", true},
		{Interface, "eth0.100", true},
		{Interface, "br-0123456789ab", true},
		{Interface, "a;id>pw1", false},
		{Interface, "eth0 ", false},
		{Interface, "$(id)", false},
		{Interface, "-eth0", false},
		{Interface, "averyverylongname0", false},
		{Interface, "", false},
		{DNSName, "tasks.web", true},
		{DNSName, "overlab-probe.overlab-overlay", true},
		{DNSName, "my_service", true},
		{DNSName, "example.org.", true},
		{DNSName, "a..b", false},
		{DNSName, "-a", false},
		{DNSName, "a;id", false},
		{DNSName, "web\nrm -rf /", false},
		{DNSName, strings.Repeat("a", 64), false},
		{DNSName, "", false},
		{ImageRef, "nginx", true},
		{ImageRef, "nginx:1.27-alpine", true},
		{ImageRef, "registry.local:5000/team/app@sha256:" + strings.Repeat("a", 64), true},
		{ImageRef, "overlab-probe:latest", true},
		{ImageRef, "nginx;id", false},
		{ImageRef, "Nginx", false},
		{ImageRef, "nginx latest", false},
		{ImageRef, "$(id)", false},
		{ImageRef, "", false},
	} {
		err := tc.check(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("%q: %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}
