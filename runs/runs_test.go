package runs

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overlab/overlab/results"
)

func fixture(t *testing.T, name string) *results.Document {
	t.Helper()
	d, err := results.ReadFile(filepath.Join("..", "report", "testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestStoreWritesEverything(t *testing.T) {
	dir := t.TempDir()
	d := fixture(t, "cut")
	r, err := Store(dir, d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.ID, "20261127-090541-demo-") || len(r.ID) != len("20261127-090541-demo-")+4 {
		t.Errorf("run id %q", r.ID)
	}
	if r.Hosts != 3 || r.Total != 51 || r.Failed != 31 || r.Passed != 20 || r.Lab != "demo" {
		t.Errorf("run %+v", r)
	}
	back, err := results.ReadFile(filepath.Join(r.Dir, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Probes) != len(d.Probes) || !back.StartedAt.Equal(d.StartedAt) {
		t.Error("results.json does not round-trip")
	}
	junit, err := os.ReadFile(filepath.Join(r.Dir, JUnitFile))
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(junit, &suites); err != nil || suites.Tests != 51 || suites.Failures != 31 {
		t.Errorf("junit.xml: %+v %v", suites, err)
	}
	html, err := os.ReadFile(filepath.Join(r.Dir, HTMLFile))
	if err != nil || !strings.Contains(string(html), "<svg") {
		t.Errorf("report.html: %v", err)
	}

	ev, err := os.ReadDir(filepath.Join(r.Dir, EvidenceDir))
	if err != nil {
		t.Fatal(err)
	}
	if len(ev) != 31 {
		t.Errorf("%d evidence files for 31 failed probes", len(ev))
	}
	b, err := os.ReadFile(filepath.Join(r.Dir, EvidenceDir, "overlab-overlay_node1_node3_icmp.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"error:     no echo reply: 100% packet loss", "tries:     3", "3 packets transmitted, 0 packets received"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("evidence file lacks %q:\n%s", want, b)
		}
	}
	if _, err := os.Stat(filepath.Join(r.Dir, EvidenceDir, "overlab-macvlan_node1_192.168.50.13_icmp.txt")); err != nil {
		t.Errorf("evidence of a probe to an underlay address: %v", err)
	}

	// A passing run has no evidence directory.
	r2, err := Store(dir, fixture(t, "pass"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(r2.Dir, EvidenceDir)); !os.IsNotExist(err) {
		t.Errorf("passing run has evidence: %v", err)
	}
}

func TestListLatestOpen(t *testing.T) {
	dir := t.TempDir()
	if rs, err := List(filepath.Join(dir, "nothing")); err != nil || len(rs) != 0 {
		t.Errorf("missing dir: %v %v", rs, err)
	}
	if _, err := Latest(dir); err == nil {
		t.Error("Latest of an empty history succeeded")
	}
	// Stored out of time order, and two runs in the same second.
	var stored []Run
	for _, name := range []string{"mtu", "pass", "cut", "cut"} {
		r, err := Store(dir, fixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, r)
	}
	if stored[2].ID == stored[3].ID {
		t.Fatal("two runs of the same second share an ID")
	}
	// Not runs: a stray file, an empty directory.
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	os.Mkdir(filepath.Join(dir, "empty"), 0o755)

	rs, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 {
		t.Fatalf("%d runs, want 4", len(rs))
	}
	for i := 1; i < len(rs); i++ {
		if rs[i].StartedAt.Before(rs[i-1].StartedAt) || rs[i].ID < rs[i-1].ID {
			t.Errorf("runs not in time order: %s before %s", rs[i-1].ID, rs[i].ID)
		}
	}
	if rs[0].Lab != "demo" || rs[3].Lab != "mtu" {
		t.Errorf("order: %s … %s", rs[0].ID, rs[3].ID)
	}
	latest, err := Latest(dir)
	if err != nil || latest.ID != rs[3].ID {
		t.Errorf("Latest = %s, %v", latest.ID, err)
	}

	for _, arg := range []string{stored[0].ID, stored[0].Dir, filepath.Join(stored[0].Dir, ResultsFile), stored[0].ID[:18]} {
		r, err := Open(dir, arg)
		if err != nil {
			t.Errorf("Open(%q): %v", arg, err)
			continue
		}
		if r.ID != stored[0].ID || r.Document == nil || r.Document.Lab != "mtu" {
			t.Errorf("Open(%q) = %s", arg, r.ID)
		}
	}
	if r, err := Open(dir, "latest"); err != nil || r.ID != latest.ID {
		t.Errorf("Open(latest) = %s, %v", r.ID, err)
	}
	if _, err := Open(dir, "20261127-090541-demo"); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("ambiguous prefix: %v", err)
	}
	if _, err := Open(dir, "19990101"); err == nil {
		t.Error("Open of an unknown run succeeded")
	}

	// A broken results.json is reported, the other runs still listed.
	bad := filepath.Join(dir, "20300101-000000-bad-0000")
	os.Mkdir(bad, 0o755)
	os.WriteFile(filepath.Join(bad, ResultsFile), []byte(`{"schema_version": 99}`), 0o644)
	rs, err = List(dir)
	if err == nil || !strings.Contains(err.Error(), "schema_version 99") || len(rs) != 4 {
		t.Errorf("broken run: %d runs, %v", len(rs), err)
	}
}

func TestResolveDir(t *testing.T) {
	t.Setenv(EnvDir, "")
	if got := ResolveDir(""); got != DefaultDir {
		t.Errorf("default %q", got)
	}
	t.Setenv(EnvDir, "/tmp/from-env")
	if got := ResolveDir(""); got != "/tmp/from-env" {
		t.Errorf("env %q", got)
	}
	if got := ResolveDir("flag"); got != "flag" {
		t.Errorf("flag %q", got)
	}
}

func TestRunIDSortsByTime(t *testing.T) {
	early := &results.Document{Lab: "zzz", StartedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	late := &results.Document{Lab: "aaa", StartedAt: time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC)}
	a, _ := newID(early)
	b, _ := newID(late)
	if !(a < b) {
		t.Errorf("%s sorts after %s", a, b)
	}
	odd, _ := newID(&results.Document{Lab: "my lab/../x", StartedAt: early.StartedAt})
	if strings.ContainsAny(odd, "/ ") || strings.Contains(odd, "..") {
		t.Errorf("unsafe id %q", odd)
	}
}

// A results directory that is a link, or that another user can change, is
// refused with a way out; nothing is written where the link points.
func TestStoreRefusesAResultsDirOthersControl(t *testing.T) {
	elsewhere := t.TempDir()
	link := filepath.Join(t.TempDir(), "overlab-results")
	if err := os.Symlink(elsewhere, link); err != nil {
		t.Fatal(err)
	}
	_, err := Store(link, fixture(t, "pass"))
	if err == nil || !strings.Contains(err.Error(), "--results") {
		t.Errorf("a linked results directory: %v", err)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("the run was written through the link: %v", entries)
	}
	if os.Geteuid() != 0 {
		t.Skip("giving a directory to another user needs root (CI runs as root)")
	}
	shared := filepath.Join(t.TempDir(), "overlab-results")
	if err := os.Mkdir(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(shared, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	_, err = Store(shared, fixture(t, "pass"))
	if err == nil || !strings.Contains(err.Error(), "--results") || !strings.Contains(err.Error(), "every user can write it") {
		t.Errorf("a results directory every user can write: %v", err)
	}
	if entries, _ := os.ReadDir(shared); len(entries) != 0 {
		t.Errorf("a run was stored there: %v", entries)
	}
}

// The attack of issue 22: another user swaps the new run directory for a
// link to a directory of root's, with results.json.tmp pointing at a file
// of root's. The run is still written where it was created, and root's file
// is untouched.
func TestStoreIgnoresARunDirSwappedForALink(t *testing.T) {
	dir := t.TempDir()
	rootsDir := t.TempDir()
	rootsFile := filepath.Join(rootsDir, "shadow")
	if err := os.WriteFile(rootsFile, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ResultsFile, JUnitFile, HTMLFile} {
		if err := os.Symlink(rootsFile, filepath.Join(rootsDir, name+".tmp")); err != nil {
			t.Fatal(err)
		}
	}
	var moved string
	afterRunDir = func(runDir string) {
		moved = runDir + ".moved"
		if err := os.Rename(runDir, moved); err != nil {
			t.Error(err)
		}
		if err := os.Symlink(rootsDir, runDir); err != nil {
			t.Error(err)
		}
	}
	defer func() { afterRunDir = func(string) {} }()
	if _, err := Store(dir, fixture(t, "cut")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(rootsFile); err != nil || string(b) != "precious\n" {
		t.Errorf("root's file was overwritten (%d bytes now): %v", len(b), err)
	}
	entries, _ := os.ReadDir(rootsDir)
	if len(entries) != 4 {
		t.Errorf("something was written in root's directory: %v", entries)
	}
	if _, err := results.ReadFile(filepath.Join(moved, ResultsFile)); err != nil {
		t.Errorf("the run is not where it was created: %v", err)
	}
}
