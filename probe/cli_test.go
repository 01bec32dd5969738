package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
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
		{"unknown", []string{"smoke"}, "", 2, "", `unknown command "smoke": want serve, run, pmtu or auth`},
		{"bad request", []string{"run", "--targets", `[{"kind":"smoke"}]`}, "", 2, "", `kind "smoke" is not one of`},
		{"bad flag", []string{"run", "--nope"}, "", 2, "", "unknown flag: --nope"},
		{"stray argument", []string{"serve", "extra"}, "", 2, "", `unexpected arguments ["extra"]`},
		{"run from stdin", []string{"run", "--token-dir", a.Dir}, `{"token_id":"` + testToken.ID() + `","targets":[{"id":"t","kind":"tcp","address":"127.0.0.1","port":` + strconv.Itoa(port(a.TCP)) + `,"probe":true,"auth":true}]}`, 0, `"peer":"probe-test"`, ""},
		{"run with the last token", []string{"run", "--token-dir", a.Dir}, `[{"id":"t","kind":"udp","address":"127.0.0.1","port":` + strconv.Itoa(port(a.UDP)) + `,"probe":true,"auth":true}]`, 0, `"peer":"probe-test"`, ""},
		{"run with an unknown token", []string{"run", "--token-dir", a.Dir}, `{"token_id":"0123456789abcdef","targets":[]}`, 1, "", "no probe token 0123456789abcdef in"},
		{"auth from an argument", []string{"auth", "--token-dir", t.TempDir(), "--token", "x"}, "", 2, "", "unknown flag: --token"},
		{"auth with a bad token", []string{"auth", "--token-dir", t.TempDir()}, `{"token":"abc","ttl_ms":1000}`, 2, "", "a token is 64 hex digits"},
		{"auth forever", []string{"auth", "--token-dir", t.TempDir()}, string(InstallRequest(testToken, 48*time.Hour)), 2, "", "want a lifetime up to 24h0m0s"},
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
