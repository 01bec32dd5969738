package fault

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// sandbox is a host whose commands run in a real sh, with the record kept
// in the test's own directory and `ip` replaced by a script that keeps the
// routing table in a file there: nothing of the machine is touched.
type sandbox struct {
	dir string
}

const fakeIP = `#!/bin/sh
# ip route add|del DEST via VIA, on a table kept in $ROUTES.
[ "$1" = route ] || { echo "fake ip: only route" >&2; exit 2; }
line="$3 via $5"
case "$2" in
add)
	if grep -qs "^$3 " "$ROUTES"; then echo "RTNETLINK answers: File exists" >&2; exit 2; fi
	echo "$line" >> "$ROUTES" ;;
del)
	grep -qsx "$line" "$ROUTES" || { echo "RTNETLINK answers: No such process" >&2; exit 2; }
	grep -vx "$line" "$ROUTES" > "$ROUTES.new"; mv "$ROUTES.new" "$ROUTES" ;;
esac
`

func newSandbox(t *testing.T) *sandbox {
	if os.Geteuid() != 0 {
		t.Skip("the record is written as root (hostcmd.Root)")
	}
	s := &sandbox{dir: t.TempDir()}
	bin := filepath.Join(s.dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "ip"), []byte(fakeIP), 0o755); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *sandbox) Name() string { return "node2" }

func (s *sandbox) Run(ctx context.Context, command string) ([]byte, error) {
	command = strings.ReplaceAll(command, RecordPath, filepath.Join(s.dir, "record"))
	if strings.Contains(command, "/var/run") || strings.Contains(command, "/run/") {
		// Whatever the code under test does, the machine's own files stay.
		return nil, &runError{err: os.ErrPermission, stderr: "sandbox: refused a command outside the test's directory: " + command}
	}
	c := exec.CommandContext(ctx, "sh", "-c", command)
	c.Env = []string{"PATH=" + filepath.Join(s.dir, "bin") + ":/usr/sbin:/usr/bin:/sbin:/bin", "ROUTES=" + filepath.Join(s.dir, "routes")}
	var stderr strings.Builder
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		return out, &runError{err: err, stderr: stderr.String()}
	}
	return out, nil
}

type runError struct {
	err    error
	stderr string
}

func (e *runError) Error() string { return e.err.Error() + ": " + e.stderr }

func (s *sandbox) routes(t *testing.T) []string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "routes"))
	out := strings.Fields(strings.ReplaceAll(string(b), " via ", "|"))
	sort.Strings(out)
	return out
}

func wanted(dests ...string) []WantedRoute {
	var out []WantedRoute
	for _, d := range dests {
		out = append(out, WantedRoute{Dest: netip.MustParsePrefix(d), Via: netip.MustParseAddr("192.168.56.11")})
	}
	return out
}

// TestEnsureRoutes: a lab's routes are added and recorded once, the stale
// ones removed, and a route the host has that overlab did not add is
// never replaced.
func TestEnsureRoutes(t *testing.T) {
	h := newSandbox(t)
	ctx := context.Background()
	acts, err := EnsureRoutes(ctx, h, "direct-routing", wanted("10.200.0.0/24", "10.200.1.0/24"))
	if err != nil || len(acts) != 2 || acts[0] != "node2: added lab direct-routing: route to 10.200.0.0/24 via 192.168.56.11" {
		t.Fatalf("first: %v, %v", acts, err)
	}
	if got := strings.Join(h.routes(t), " "); got != "10.200.0.0/24|192.168.56.11 10.200.1.0/24|192.168.56.11" {
		t.Errorf("routing table %s", got)
	}
	if acts, err := EnsureRoutes(ctx, h, "direct-routing", wanted("10.200.0.0/24", "10.200.1.0/24")); err != nil || len(acts) != 0 {
		t.Errorf("second: %v, %v; want nothing done", acts, err)
	}
	acts, err = EnsureRoutes(ctx, h, "direct-routing", wanted("10.200.1.0/24"))
	if err != nil || len(acts) != 1 || !strings.Contains(acts[0], "removed lab direct-routing: route to 10.200.0.0/24") {
		t.Errorf("stale: %v, %v", acts, err)
	}
	// Someone else's route to the destination another lab wants.
	if err := os.WriteFile(filepath.Join(h.dir, "routes"), []byte("10.200.1.0/24 via 192.168.56.11\n10.99.0.0/16 via 192.168.56.13\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = EnsureRoutes(ctx, h, "other", []WantedRoute{{Dest: netip.MustParsePrefix("10.99.0.0/16"), Via: netip.MustParseAddr("192.168.56.11")}})
	if err == nil || !strings.Contains(err.Error(), "it has a route to 10.99.0.0/16 already, which overlab did not add") {
		t.Errorf("a foreign route: %v", err)
	}
	if got := strings.Join(h.routes(t), " "); got != "10.200.1.0/24|192.168.56.11 10.99.0.0/16|192.168.56.13" {
		t.Errorf("the foreign route was touched: %s", got)
	}
	have, _ := List(ctx, h)
	if len(have) != 1 || have[0].Kind != Route || RouteLab(have[0]) != "direct-routing" {
		t.Errorf("record %+v: want only the lab's route", have)
	}
}

// TestHealWhere: fault heal leaves routes, a lab's down takes its own and
// every fault, not another lab's route.
func TestHealWhere(t *testing.T) {
	h := newSandbox(t)
	ctx := context.Background()
	if _, err := EnsureRoutes(ctx, h, "a", wanted("10.200.0.0/24")); err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureRoutes(ctx, h, "b", wanted("10.201.0.0/24")); err != nil {
		t.Fatal(err)
	}
	if err := record(ctx, h, Fault{ID: "3", Kind: Block, What: "7946/tcp blocked", Undo: "true"}); err != nil {
		t.Fatal(err)
	}
	healed, err := HealWhere(ctx, h, IsFault)
	if err != nil || len(healed) != 1 || healed[0].Kind != Block {
		t.Fatalf("fault heal: %+v, %v", healed, err)
	}
	healed, err = HealWhere(ctx, h, ForLab("a"))
	if err != nil || len(healed) != 1 || RouteLab(healed[0]) != "a" {
		t.Fatalf("down of lab a: %+v, %v", healed, err)
	}
	if got := strings.Join(h.routes(t), " "); got != "10.201.0.0/24|192.168.56.11" {
		t.Errorf("routes left %s, want lab b's", got)
	}
	if have, _ := List(ctx, h); len(have) != 1 || RouteLab(have[0]) != "b" {
		t.Errorf("record %+v, want lab b's route", have)
	}
}
