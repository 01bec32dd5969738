package safefile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// victim is a file of someone else's that a planted link points at.
func victim(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(p, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func assertUntouched(t *testing.T, p string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "precious\n" {
		t.Errorf("%s was changed: %q %v", p, b, err)
	}
}

func TestWriteFileReplacesALinkInsteadOfFollowingIt(t *testing.T) {
	v := victim(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "report.html")
	if err := os.Symlink(v, out); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(out, []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	assertUntouched(t, v)
	st, err := os.Lstat(out)
	if err != nil || !st.Mode().IsRegular() {
		t.Fatalf("%s is not a regular file now: %v %v", out, st, err)
	}
	if b, _ := os.ReadFile(out); string(b) != "new\n" {
		t.Errorf("content %q", b)
	}
	if st.Mode().Perm() != 0o644&^umask() {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func umask() os.FileMode {
	p := filepath.Join(os.TempDir(), "overlab-umask-probe")
	os.Remove(p)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o777)
	if err != nil {
		return 0
	}
	f.Close()
	defer os.Remove(p)
	st, _ := os.Stat(p)
	return 0o777 &^ st.Mode().Perm()
}

func TestOpenDirRefusesALink(t *testing.T) {
	target := t.TempDir()
	link := filepath.Join(t.TempDir(), "results")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	_, err := OpenDir(link)
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("a linked directory was opened: %v", err)
	}
	if _, err := MkdirAll(link, 0o755); err == nil {
		t.Fatal("MkdirAll opened a linked directory")
	}
}

// A directory swapped for a link after it was opened keeps receiving the
// writes: they never land where the link points.
func TestHeldDirectoryIgnoresASwap(t *testing.T) {
	base := t.TempDir()
	elsewhere := t.TempDir()
	d, err := MkdirAll(filepath.Join(base, "run"), 0o755)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := os.Rename(filepath.Join(base, "run"), filepath.Join(base, "moved")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, filepath.Join(base, "run")); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile("results.json", []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("the write followed the swap: %v", entries)
	}
	if _, err := os.Stat(filepath.Join(base, "moved", "results.json")); err != nil {
		t.Errorf("the write is not in the directory that was opened: %v", err)
	}
	// A link inside the held directory that leads out of it is refused too.
	if err := os.Symlink(elsewhere, filepath.Join(base, "moved", "evidence")); err != nil {
		t.Fatal(err)
	}
	if sub, err := d.Open("evidence"); err == nil {
		sub.Close()
		t.Error("a link out of the directory was opened")
	}
	if _, err := d.Mkdir("evidence", 0o755); err == nil {
		t.Error("Mkdir went through an existing link")
	}
}

func TestOthersCanWrite(t *testing.T) {
	dir := t.TempDir()
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if who := d.OthersCanWrite(); who != "" {
		t.Errorf("own directory: %q", who)
	}
	d.Close()
	if os.Geteuid() != 0 {
		t.Skip("giving a directory to another user needs root (CI runs as root)")
	}
	for _, tc := range []struct {
		uid  int
		mode os.FileMode
		want string
	}{
		{65534, 0o777, "every user can write it"},
		{65534, 0o775, "group"},
		{65534, 0o755, "belongs to uid 65534"},
		{0, 0o755, ""},
	} {
		other := filepath.Join(t.TempDir(), "results")
		if err := os.Mkdir(other, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(other, tc.uid, tc.uid); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(other, tc.mode); err != nil {
			t.Fatal(err)
		}
		d, err := OpenDir(other)
		if err != nil {
			t.Fatal(err)
		}
		who := d.OthersCanWrite()
		d.Close()
		if tc.want == "" && who != "" || tc.want != "" && !strings.Contains(who, tc.want) {
			t.Errorf("uid %d mode %04o: %q, want %q", tc.uid, tc.mode, who, tc.want)
		}
	}
}
