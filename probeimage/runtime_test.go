package probeimage

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/overlab/overlab/internal/testenv"
)

// TestRuntimeOfCgoBuild: a cgo build (what `go build` gives on a machine
// with gcc) needs its loader and libc; both are found on this machine and
// land in the image at the paths the loader asks for.
func TestRuntimeOfCgoBuild(t *testing.T) {
	bin := stub(t, "cgo")
	info, err := InspectBinary(bin)
	if err != nil {
		t.Fatal(err)
	}
	files, err := info.Runtime()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 || files[0].Path != info.Interp {
		t.Fatalf("runtime %+v: want the loader %s first, then libraries", files, info.Interp)
	}
	var libc *RuntimeFile
	for i, f := range files {
		if st, err := os.Lstat(f.Source); err != nil || !st.Mode().IsRegular() {
			t.Errorf("%s: source %s is not a regular file (%v)", f.Path, f.Source, err)
		}
		if path.Base(f.Path) == "libc.so.6" {
			libc = &files[i]
		}
		if path.Base(f.Path) == path.Base(info.Interp) && i > 0 {
			t.Errorf("the loader is listed twice: %+v", files)
		}
	}
	if libc == nil {
		t.Fatalf("no libc.so.6 in %+v", files)
	}
	if lp := LibraryPath(files); !strings.Contains(lp, path.Dir(libc.Path)) {
		t.Errorf("LD_LIBRARY_PATH %q lacks libc's directory", lp)
	}

	img, err := New(WithBinary(bin), WithBusybox(""))
	if err != nil {
		t.Fatalf("New refused a cgo build: %v", err)
	}
	if !slices.Contains(img.Changes(), "ENV LD_LIBRARY_PATH="+LibraryPath(files)) {
		t.Errorf("changes %v: want LD_LIBRARY_PATH", img.Changes())
	}
	var buf bytes.Buffer
	if err := img.WriteTar(&buf); err != nil {
		t.Fatal(err)
	}
	entries := readTar(t, buf.Bytes())
	for _, f := range files {
		want, _ := os.ReadFile(f.Source)
		got, ok := entries[strings.TrimPrefix(f.Path, "/")]
		if !ok || got.typ != tar.TypeReg || !bytes.Equal(got.data, want) {
			t.Errorf("%s: in tar %v, type %c, %d bytes; want the %d bytes of %s", f.Path, ok, got.typ, len(got.data), len(want), f.Source)
		}
		for d := path.Dir(strings.TrimPrefix(f.Path, "/")); d != "."; d = path.Dir(d) {
			if e, ok := entries[d+"/"]; !ok || e.typ != tar.TypeDir {
				t.Errorf("directory %s of %s missing from the tar", d, f.Path)
			}
		}
	}
	static, err := New(WithBinary(stub(t, "static")), WithBusybox(""))
	if err != nil {
		t.Fatal(err)
	}
	if len(static.Runtime) != 0 || slices.ContainsFunc(static.Changes(), func(c string) bool { return strings.Contains(c, "LD_LIBRARY_PATH") }) {
		t.Errorf("a static binary got runtime files %+v, changes %v", static.Runtime, static.Changes())
	}
}

// TestCgoBuildRunsFromItsRuntimeAlone runs the cgo stub chrooted into a
// directory holding only the files of its image: proof that nothing from
// the machine beyond Runtime is needed. Needs root for chroot.
func TestCgoBuildRunsFromItsRuntimeAlone(t *testing.T) {
	bin := stub(t, "cgo")
	if os.Geteuid() != 0 {
		testenv.SkipOrFail(t, "needs root for chroot")
	}
	img, err := New(WithBinary(bin), WithBusybox(""))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	var buf bytes.Buffer
	if err := img.WriteTar(&buf); err != nil {
		t.Fatal(err)
	}
	for name, e := range readTar(t, buf.Bytes()) {
		p := filepath.Join(root, name)
		switch e.typ {
		case tar.TypeDir:
			if err := os.MkdirAll(p, os.FileMode(e.mode&0o777)); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, e.data, os.FileMode(e.mode)); err != nil {
				t.Fatal(err)
			}
		}
	}
	cmd := exec.Command("chroot", root, "/overlab")
	cmd.Env = []string{"LD_LIBRARY_PATH=" + LibraryPath(img.Runtime)}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the cgo build does not run from its image's files alone: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "127.0.0.1") && !strings.Contains(string(out), "::1") && !strings.Contains(string(out), "localhost") {
		t.Logf("stub output: %s", out)
	}
}

func TestRuntimeRefusesMissingLibrary(t *testing.T) {
	self, err := InspectBinary("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	b := BinaryInfo{Path: "./overlab", Arch: self.Arch, Needed: []string{"libnothere.so.9"}, class: self.class, machine: self.machine}
	_, err = b.Runtime()
	for _, want := range []string{"./overlab is dynamically linked", "needs libnothere.so.9", "/usr/lib", "CGO_ENABLED=0 go build"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Runtime: %v\nwant it to say %q", err, want)
		}
	}
}

func TestRuntimeSkipsLibrariesOfAnotherClass(t *testing.T) {
	self, err := InspectBinary("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// A 32-bit ELF of the same name comes first in the search; the loader
	// skips it, and so must Runtime.
	other := filepath.Join(dir, "other")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	hdr := make([]byte, 64)
	copy(hdr, []byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS32), 1, 1})
	if err := os.WriteFile(filepath.Join(other, "libc.so.6"), hdr, 0o644); err != nil {
		t.Fatal(err)
	}
	b := BinaryInfo{Path: "./overlab", Needed: []string{"libc.so.6"}, RunPath: []string{other}, class: self.class, machine: self.machine}
	files, err := b.Runtime()
	if err != nil {
		t.Skipf("no libc.so.6 on this machine: %v", err)
	}
	for _, f := range files {
		if strings.HasPrefix(f.Path, other) {
			t.Errorf("took the 32-bit %s", f.Path)
		}
	}
}

func TestLdConfDirs(t *testing.T) {
	got := ldConfDirs("testdata/ld.so.conf", 0)
	want := []string{"/opt/first/lib", "/opt/a/lib", "/opt/b/lib", "/usr/local/lib"}
	if !slices.Equal(got, want) {
		t.Errorf("ldConfDirs = %v, want %v", got, want)
	}
	if got := ldConfDirs("testdata/no-such.conf", 0); got != nil {
		t.Errorf("missing file: %v", got)
	}
}
