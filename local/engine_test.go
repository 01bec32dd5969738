//go:build linux

package local

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseEngine(t *testing.T) {
	tests := []struct {
		in       string
		chrooted bool
		want     string // fragment of the error; empty for valid
	}{
		{"", false, ""},
		{"20.10", false, ""},
		{"26.1", true, ""},
		{"28.5", true, ""},
		{"26", false, `--engine "26": not a known engine; use one of 20.10, 26.1, 28.5`},
		{"latest", false, "not a known engine"},
	}
	for _, tt := range tests {
		e, err := ParseEngine(tt.in)
		if tt.want != "" {
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseEngine(%q) error %v, want %q", tt.in, err, tt.want)
			}
			continue
		}
		if err != nil || e.Name != tt.in || e.Chrooted() != tt.chrooted {
			t.Errorf("ParseEngine(%q) = %+v, %v", tt.in, e, err)
		}
	}
}

func TestDockerdVersion(t *testing.T) {
	for in, want := range map[string]string{
		"Docker version 20.10.24+dfsg1, build 5d6db84\n": "20.10.24+dfsg1",
		"Docker version 26.1.5+dfsg1, build 411e817":     "26.1.5+dfsg1",
		"Docker version 28.5.2+dfsg4, build ecc6942":     "28.5.2+dfsg4",
		"something else": "something else",
	} {
		if got := dockerdVersion(in); got != want {
			t.Errorf("dockerdVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRootfsKey(t *testing.T) {
	base := RootfsSpec{Suite: "trixie", Variant: "minbase", Packages: []string{"docker.io", "iproute2"}}
	k := base.Key()
	if !strings.HasPrefix(k, "trixie-") || len(k) != len("trixie-")+12 {
		t.Fatalf("key %q: want trixie- and 12 hex digits", k)
	}
	same := base
	same.Packages = []string{"iproute2", "docker.io"}
	if same.Key() != k {
		t.Error("the order of packages changes the key")
	}
	for name, other := range map[string]RootfsSpec{
		"suite":      {Suite: "forky", Variant: "minbase", Packages: base.Packages},
		"variant":    {Suite: "trixie", Variant: "apt", Packages: base.Packages},
		"packages":   {Suite: "trixie", Variant: "minbase", Packages: []string{"docker.io"}},
		"apt option": {Suite: "trixie", Variant: "minbase", Packages: base.Packages, AptOptions: []string{`Acquire::Check-Valid-Until "false"`}},
	} {
		if other.Key() == k {
			t.Errorf("a different %s keeps the key %s", name, k)
		}
	}
	args := strings.Join(base.mmdebstrapArgs("/c/x.build", "http://m/debian"), " ")
	if args != "mmdebstrap --quiet --mode=root --format=directory --variant=minbase --include=docker.io,iproute2 trixie /c/x.build http://m/debian" {
		t.Errorf("mmdebstrap args = %s", args)
	}
	forky := RootfsSpec{Suite: "forky", Variant: "minbase", Packages: []string{"docker.io"}, AptOptions: []string{`Acquire::Check-Valid-Until "false"`}}
	got := forky.mmdebstrapArgs("/c/x.build", "http://m/debian")
	want := []string{"mmdebstrap", "--quiet", "--mode=root", "--format=directory", "--variant=minbase",
		`--aptopt=Acquire::Check-Valid-Until "false"`, "--include=docker.io", "forky", "/c/x.build", "http://m/debian"}
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("forky mmdebstrap args = %q, want %q", got, want)
	}
}

// TestEngineRootfsKeys pins the cache keys of the engines' trees: a key
// that changes by accident rebuilds every machine's tree (1.5 min for
// trixie); one that stays when the spec changes reuses a stale tree.
func TestEngineRootfsKeys(t *testing.T) {
	for name, want := range map[string]string{
		"26.1": "trixie-63d5abf8ffa7", // with nftables, for the fault labs' cut
		"28.5": "forky-7cd71ff26ee8",
	} {
		e, err := ParseEngine(name)
		if err != nil || e.Rootfs == nil {
			t.Fatalf("%s: %+v, %v", name, e, err)
		}
		if k := e.Rootfs.Key(); k != want {
			t.Errorf("%s: key %s, want %s (a change of the spec must change this test too)", name, k, want)
		}
	}
	e, _ := ParseEngine("28.5")
	noOpt := *e.Rootfs
	noOpt.AptOptions = nil
	if noOpt.Key() == e.Rootfs.Key() {
		t.Error("28.5: the Valid-Until option does not change the key")
	}
}

func TestAptMirror(t *testing.T) {
	t.Setenv(MirrorEnv, "")
	tests := []struct{ dir, want, err string }{
		{"deb822", "http://deb.debian.org/debian", ""},     // skips a third party's and a disabled stanza
		{"oneline", "http://ftp.de.debian.org/debian", ""}, // skips deb-src and a third party's suite
		{"none", "", "no Debian archive mirror found in testdata/apt/none"},
	}
	for _, tt := range tests {
		got, err := aptMirror("testdata/apt/" + tt.dir)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), MirrorEnv) {
				t.Errorf("%s: error %v, want %q naming %s", tt.dir, err, tt.err, MirrorEnv)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: mirror %q, %v; want %q", tt.dir, got, err, tt.want)
		}
	}
	t.Setenv(MirrorEnv, "http://mirror.example/debian")
	if got, _ := aptMirror("testdata/apt/none"); got != "http://mirror.example/debian" {
		t.Errorf("%s ignored: %q", MirrorEnv, got)
	}
}

func TestRootfsMountPlan(t *testing.T) {
	l := Lab{Name: "demo", Hosts: 2, Subnet: DefaultSubnet, StateRoot: "/var/lib/o l"}
	plan := l.rootfsMounts(2, "/var/cache/overlab/rootfs/trixie-abc")
	var lines []string
	for _, m := range plan {
		lines = append(lines, m.shell())
	}
	h := "'/var/lib/o l/demo/hosts/node2"
	want := []string{
		"mkdir -p " + h + "/rootfs/upper' " + h + "/rootfs/work' " + h + "/rootfs/merged' && mount -t overlay -o " +
			"'lowerdir=/var/cache/overlab/rootfs/trixie-abc,upperdir=/var/lib/o l/demo/hosts/node2/rootfs/upper,workdir=/var/lib/o l/demo/hosts/node2/rootfs/work' overlab-rootfs " + h + "/rootfs/merged'",
		"mkdir -p " + h + "/rootfs/merged/proc' && mount -t proc proc " + h + "/rootfs/merged/proc'",
		"mkdir -p " + h + "/rootfs/merged/sys' && mount --rbind /sys " + h + "/rootfs/merged/sys'",
		"mkdir -p " + h + "/rootfs/merged/dev' && mount --rbind /dev " + h + "/rootfs/merged/dev'",
		"mkdir -p " + h + "/rootfs/merged/run' && mount -t tmpfs -o mode=0755 overlab-run " + h + "/rootfs/merged/run'",
		"mkdir -p " + h + "/rootfs/merged/var/lib/o l/demo/hosts/node2' && mount --bind " + h + "' " + h + "/rootfs/merged/var/lib/o l/demo/hosts/node2'",
		"mkdir -p " + h + "/rootfs/merged/var/lib/o l/demo/authorized_keys' && mount --bind '/var/lib/o l/demo/authorized_keys' " + h + "/rootfs/merged/var/lib/o l/demo/authorized_keys'",
	}
	if len(lines) != len(want) {
		t.Fatalf("%d mounts, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
	for k := range want {
		if lines[k] != want[k] {
			t.Errorf("mount %d:\n got %s\nwant %s", k, lines[k], want[k])
		}
	}
}

func TestRootfsHostScript(t *testing.T) {
	l := Lab{Name: "demo", Hosts: 2, Subnet: DefaultSubnet, StateRoot: "/var/lib/overlab/local"}
	s := l.hostScript(defaultBinaries(), 1, "/var/cache/overlab/rootfs/trixie-abc")
	root := "/var/lib/overlab/local/demo/hosts/node1/rootfs/merged"
	for _, want := range []string{
		"readlink /proc/self/ns/mnt > /var/lib/overlab/local/demo/hosts/node1/mntns\n",
		"mount -t overlay",
		"cd " + root + "\npivot_root . .overlab-oldroot\nexec /bin/sh -c ",
		"umount -l /.overlab-oldroot\n",
		"/usr/sbin/sshd -D -f /var/lib/overlab/local/demo/hosts/node1/sshd_config",
		"/usr/sbin/dockerd --data-root /var/lib/overlab/local/demo/hosts/node1/docker",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("host script lacks %q:\n%s", want, s)
		}
	}
	// Nothing of the host may touch the machine's own /run.
	if strings.Contains(s, "overlab-run /run\n") {
		t.Errorf("the host mounts over the machine's /run:\n%s", s)
	}
	// Every mount and the pivot come before the daemons; the machine's
	// root is gone before they start.
	if strings.LastIndex(s, "mount -t") > strings.Index(s, "pivot_root") || strings.Index(s, "umount -l") > strings.Index(s, "sshd -D") {
		t.Errorf("a daemon starts before its root is whole:\n%s", s)
	}
}

func TestLoadEngine(t *testing.T) {
	root := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "lab.json"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("new", `{"name":"new","subnet":"10.221.1.0/24","hosts":3,"engine":"26.1"}`)
	write("old", `{"name":"old","subnet":"10.221.2.0/24","hosts":2}`)
	write("odd", `{"name":"odd","subnet":"10.221.3.0/24","hosts":2,"engine":"99.0"}`)
	if l, err := Load(root, "new"); err != nil || l.Engine.Name != "26.1" || !l.Engine.Chrooted() {
		t.Errorf("Load(new) = %+v, %v", l.Engine, err)
	}
	// A lab recorded before engines existed runs the machine's own.
	if l, err := Load(root, "old"); err != nil || l.Engine.Name != "" || l.Engine.Chrooted() {
		t.Errorf("Load(old) = %+v, %v", l.Engine, err)
	}
	if _, err := Load(root, "odd"); err == nil || !strings.Contains(err.Error(), "odd/lab.json") || !strings.Contains(err.Error(), `"99.0"`) {
		t.Errorf("Load(odd) error %v: want the file and the unknown engine", err)
	}
}
