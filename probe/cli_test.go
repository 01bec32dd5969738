package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

func TestProbeMain(t *testing.T) {
	a := startServe(t)
	tests := []struct {
		name     string
		args     []string
		stdin    string
		code     int
		out, err string
	}{
		{"no command", nil, "", 2, "", "usage: probe serve"},
		{"help", []string{"--help"}, "", 0, "", "usage: probe serve"},
		{"unknown", []string{"smoke"}, "", 2, "", `unknown command "smoke": want serve, run or pmtu`},
		{"bad request", []string{"run", "--targets", `[{"kind":"smoke"}]`}, "", 2, "", `kind "smoke" is not one of`},
		{"bad flag", []string{"run", "--nope"}, "", 2, "", "unknown flag: --nope"},
		{"stray argument", []string{"serve", "extra"}, "", 2, "", `unexpected arguments ["extra"]`},
		{"run from stdin", []string{"run"}, `[{"id":"t","kind":"tcp","address":"127.0.0.1","port":` + strconv.Itoa(port(a.TCP)) + `,"probe":true}]`, 0, `"peer":"probe-test"`, ""},
		{"pmtu without address", []string{"pmtu", "--max", "600", "--wait", "50ms"}, "", 0, `"error"`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(context.Background(), tc.args, Streams{In: strings.NewReader(tc.stdin), Out: &out, Err: &errb})
			if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errb.String(), tc.err) {
				t.Errorf("code %d, stdout %q, stderr %q; want %d, %q, %q", code, out.String(), errb.String(), tc.code, tc.out, tc.err)
			}
			if tc.args != nil && tc.args[0] == "run" && code == 0 {
				var rep Report
				if err := json.Unmarshal(out.Bytes(), &rep); err != nil || len(rep.Results) != 1 || !rep.Results[0].Reachable {
					t.Errorf("report %s: %v", out.String(), err)
				}
			}
		})
	}
}
