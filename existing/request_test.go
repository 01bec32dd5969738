package existing

import (
	"reflect"
	"testing"
)

func TestParseRequest(t *testing.T) {
	for _, tc := range []struct {
		networks, services []string
		want               Request
		err                string
	}{
		{[]string{"backend,frontend", "backend"}, []string{"api:8080", "dns:53/udp"},
			Request{Networks: []string{"backend", "frontend"}, Services: []ServiceRef{{"api", 8080, "tcp"}, {"dns", 53, "udp"}}}, ""},
		{nil, nil, Request{}, "--networks: name at least one network (NAME[,NAME...])"},
		{[]string{"a b"}, []string{"api"}, Request{}, `--networks "a b": not a Docker network name; --services "api": want NAME:PORT[/tcp|/udp], e.g. api:8080`},
		{[]string{"n"}, []string{"api:0", "api:80/sctp"}, Request{}, `--services "api:0": "0" is not a port (1-65535); --services "api:80/sctp": protocol "sctp": want tcp or udp`},
	} {
		got, err := ParseRequest(tc.networks, tc.services)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseRequest(%q, %q) error %v, want %q", tc.networks, tc.services, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseRequest(%q, %q) = %+v, %v", tc.networks, tc.services, got, err)
		}
	}
}
