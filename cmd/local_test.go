//go:build linux

package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overlab/overlab/provider"
)

// `local down` and `local status` validate the lab name as `local up` does:
// a bad name is refused before anything is looked up, unmounted or removed.
func TestLocalRefusesNamesOutsideTheStateRoot(t *testing.T) {
	// Deep enough that even a broken down cannot reach above the test's own
	// directory: root/../../.. is still below base.
	base := filepath.Join(t.TempDir(), "1", "2", "3")
	root := filepath.Join(base, "state")
	keep := []string{filepath.Join(base, "victim", "keep"), filepath.Join(root, "other", "lab.json")}
	for _, f := range keep {
		if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, sub := range []string{"down", "status", "up"} {
		for _, name := range []string{"", "..", "../victim", "../../.."} {
			_, stderr, code := run(t, "local", sub, "--state-dir", root, "--name", name)
			if code != exitCouldNotRun || !strings.Contains(stderr, "lab name") {
				t.Errorf("local %s --name %q: exit %d, stderr %q; want exit 2 naming the lab name", sub, name, code, stderr)
			}
			if strings.Contains(stderr, "removed") {
				t.Errorf("local %s --name %q said it removed something: %q", sub, name, stderr)
			}
		}
	}
	for _, f := range keep {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%s is gone: %v", f, err)
		}
	}
}

// fakeLocal is the local provider behind the same interface.
func fakeLocal(f *fakeHosts, got *localFlags) deps {
	d := defaultDeps()
	d.local = func(_ *Globals, fl *localFlags) (provider.Hosts, error) {
		*got = *fl
		return f, nil
	}
	return d
}

func TestLocalCommandsWiring(t *testing.T) {
	var fl localFlags
	f := &fakeHosts{}
	stdout, stderr, code := runWith(t, fakeLocal(f, &fl), "local", "up", "--hosts", "4", "--name", "x", "--subnet", "10.9.9.0/24")
	if code != 0 || strings.TrimSpace(stdout) != "/lab/overlab.yaml" || fl.hosts != 4 || fl.name != "x" || fl.subnet != "10.9.9.0/24" {
		t.Fatalf("local up: exit %d, stdout %q, flags %+v: %s", code, stdout, fl, stderr)
	}
	f = &fakeHosts{status: []provider.Host{{Name: "node1", Address: "10.9.9.11", State: "up", Detail: "engine 20.10.24, sshd up, 40 MiB", Up: true}}}
	stdout, _, code = runWith(t, fakeLocal(f, &fl), "local", "status", "--name", "x")
	if code != 0 || !strings.Contains(stdout, "node1  10.9.9.11  up     engine 20.10.24, sshd up, 40 MiB") {
		t.Errorf("local status: exit %d\n%s", code, stdout)
	}
	if _, _, code := runWith(t, fakeLocal(f, &fl), "local", "down", "--name", "x"); code != 0 || f.calls[len(f.calls)-1] != "down" {
		t.Errorf("local down: exit %d, calls %v", code, f.calls)
	}
}
