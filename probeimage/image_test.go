package probeimage

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

type entry struct {
	typ  byte
	mode int64
	link string
	data []byte
}

func readTar(t *testing.T, b []byte) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := out[h.Name]; dup {
			t.Errorf("%s twice in the tar", h.Name)
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s owned by %d:%d, want root", h.Name, h.Uid, h.Gid)
		}
		out[h.Name] = entry{typ: h.Typeflag, mode: h.Mode, link: h.Linkname, data: data}
	}
}

func TestTarWithBusybox(t *testing.T) {
	bin, bb := stub(t, "static"), staticBusybox(t)
	img, err := New(WithBinary(bin), WithBusybox(bb))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := img.WriteTar(&buf); err != nil {
		t.Fatal(err)
	}
	files := readTar(t, buf.Bytes())
	binData, _ := os.ReadFile(bin)
	bbData, _ := os.ReadFile(bb)
	for name, want := range map[string]entry{
		"overlab":           {typ: tar.TypeReg, mode: 0o755, data: binData},
		"bin/busybox":       {typ: tar.TypeReg, mode: 0o755, data: bbData},
		"bin/":              {typ: tar.TypeDir, mode: 0o755},
		"tmp/":              {typ: tar.TypeDir, mode: 0o1777},
		"bin/sh":            {typ: tar.TypeSymlink, mode: 0o777, link: "busybox"},
		"bin/ping":          {typ: tar.TypeSymlink, mode: 0o777, link: "busybox"},
		"bin/nc":            {typ: tar.TypeSymlink, mode: 0o777, link: "busybox"},
		"bin/wget":          {typ: tar.TypeSymlink, mode: 0o777, link: "busybox"},
		"bin/ip":            {typ: tar.TypeSymlink, mode: 0o777, link: "busybox"},
		"bin/nslookup":      {typ: tar.TypeSymlink, mode: 0o777, link: "busybox"},
		"etc/nsswitch.conf": {typ: tar.TypeReg, mode: 0o644, data: []byte("hosts: files dns\n")},
	} {
		got, ok := files[name]
		if !ok {
			t.Errorf("%s missing", name)
			continue
		}
		if got.typ != want.typ || got.mode != want.mode || got.link != want.link || (want.data != nil && !bytes.Equal(got.data, want.data)) {
			t.Errorf("%s: type %c mode %o link %q (%d bytes), want type %c mode %o link %q (%d bytes)",
				name, got.typ, got.mode, got.link, len(got.data), want.typ, want.mode, want.link, len(want.data))
		}
	}
	// Every symlink is an applet of this busybox, and none hides the binary.
	out, err := exec.Command(bb, "--list").Output()
	if err != nil {
		t.Fatal(err)
	}
	have := strings.Fields(string(out))
	links := 0
	for name, e := range files {
		if e.typ != tar.TypeSymlink {
			continue
		}
		links++
		applet := strings.TrimPrefix(name, "bin/")
		if applet == "busybox" {
			t.Errorf("bin/busybox is a symlink: the image would have no shell")
		}
		if !slices.Contains(have, applet) {
			t.Errorf("%s links to an applet this busybox lacks", name)
		}
	}
	if links != len(Applets) {
		t.Errorf("%d symlinks, want %d", links, len(Applets))
	}

	// Reproducible: the same content gives the same bytes and the same hash.
	var again bytes.Buffer
	if err := img.WriteTar(&again); err != nil {
		t.Fatal(err)
	}
	img2, err := New(WithBinary(bin), WithBusybox(bb))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) || img2.Hash != img.Hash {
		t.Errorf("not reproducible: hashes %s %s", img.Hash, img2.Hash)
	}
	if len(img.Hash) != 12 || img.Ref != "overlab-probe:"+img.Hash {
		t.Errorf("ref %q hash %q", img.Ref, img.Hash)
	}
}

func TestChangesSetPathAndEntrypoint(t *testing.T) {
	img, err := New(WithBinary(stub(t, "static")), WithBusybox(""))
	if err != nil {
		t.Fatal(err)
	}
	ch := img.Changes()
	for _, want := range []string{"ENV PATH=/bin:/", `ENTRYPOINT ["/overlab","probe","serve"]`, "LABEL org.overlab.probe.hash=" + img.Hash} {
		if !slices.Contains(ch, want) {
			t.Errorf("changes %q lack %q", ch, want)
		}
	}
	if img.Platform() != "linux/"+img.Binary.Arch {
		t.Errorf("platform %q", img.Platform())
	}
}

func TestTarWithoutBusybox(t *testing.T) {
	img, err := New(WithBinary(stub(t, "static")), WithBusybox(""))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := img.WriteTar(&buf); err != nil {
		t.Fatal(err)
	}
	files := readTar(t, buf.Bytes())
	if _, ok := files["overlab"]; !ok {
		t.Error("no /overlab")
	}
	for name := range files {
		if strings.HasPrefix(name, "bin/") && name != "bin/" {
			t.Errorf("%s in an image without busybox", name)
		}
	}
}

func TestHashFollowsContent(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "overlab")
	data, err := os.ReadFile(stub(t, "static"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	before, err := New(WithBinary(bin), WithBusybox(""))
	if err != nil {
		t.Fatal(err)
	}
	// One byte more (past the ELF headers) is other content: another ref.
	if err := os.WriteFile(bin, append(data, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	after, err := New(WithBinary(bin), WithBusybox(""))
	if err != nil {
		t.Fatal(err)
	}
	if before.Hash == after.Hash {
		t.Error("changed binary, same hash")
	}
	// And an Image whose file changed after New refuses to write a tar
	// that its ref does not name.
	if err := before.WriteTar(io.Discard); err == nil || !strings.Contains(err.Error(), "changed while loading") {
		t.Errorf("stale Image wrote its tar: %v", err)
	}
}

func TestBusyboxMustSuitBinary(t *testing.T) {
	bb := staticBusybox(t)
	arm := stub(t, "arm64")
	// Given explicitly, a busybox of another architecture is an error ...
	if _, err := New(WithBinary(arm), WithBusybox(bb)); err == nil || !strings.Contains(err.Error(), "but the probe binary is arm64") {
		t.Errorf("arm64 binary with %s busybox: %v", "host", err)
	}
	// ... by default it is left out, and the image still builds.
	img, err := newImage(context.Background(), config{binary: arm, busybox: bb, logger: newConfig(nil).logger}, "")
	if err != nil || img.Busybox != "" || img.Binary.Arch != "arm64" {
		t.Errorf("default busybox with an arm64 binary: %+v, %v; want an image without busybox", img, err)
	}
	// A dynamic busybox (Debian's non-static package) is no use either.
	if _, err := New(WithBinary(stub(t, "static")), WithBusybox("/bin/ls")); err == nil || !strings.Contains(err.Error(), "install busybox-static") {
		t.Errorf("dynamic busybox: %v", err)
	}
}
