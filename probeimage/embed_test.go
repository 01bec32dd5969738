package probeimage

import (
	"archive/tar"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/overlab/overlab/internal/testenv"
)

// embeddedOrSkip returns the embedded probe; CI builds with make, so there
// it must be present.
func embeddedOrSkip(t *testing.T) []byte {
	t.Helper()
	data := embeddedProbe(runtime.GOARCH)
	if data == nil {
		testenv.SkipOrFail(t, "no embedded probe "+EmbeddedName(runtime.GOARCH)+": `make build` puts it there before the tests")
	}
	return data
}

// TestEmbeddedProbeIsCurrent: the embedded probe is what ./cmd/overlab-probe
// builds to now, byte for byte (Go builds are reproducible with -trimpath),
// so an overlab built after a probe change never carries the old probe.
func TestEmbeddedProbeIsCurrent(t *testing.T) {
	data := embeddedOrSkip(t)
	fresh := filepath.Join(t.TempDir(), "overlab-probe")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", fresh, "../cmd/overlab-probe")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the probe: %v\n%s", err, out)
	}
	want, err := os.ReadFile(fresh)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want) {
		t.Fatalf("the embedded probe (%d bytes) is not the current ./cmd/overlab-probe (%d bytes): run make build", len(data), len(want))
	}
}

func TestImageUsesEmbeddedProbe(t *testing.T) {
	data := embeddedOrSkip(t)
	img, err := New(WithBusybox(""))
	if err != nil {
		t.Fatal(err)
	}
	if !img.Embedded || !img.Binary.Static || len(img.Runtime) != 0 {
		t.Fatalf("embedded=%v static=%v runtime=%v: want the static embedded probe", img.Embedded, img.Binary.Static, img.Runtime)
	}
	var buf bytes.Buffer
	if err := img.WriteTar(&buf); err != nil {
		t.Fatal(err)
	}
	if got := readTar(t, buf.Bytes())["overlab"]; got.typ != tar.TypeReg || got.mode != 0o755 || !bytes.Equal(got.data, data) {
		t.Errorf("/overlab in the image: type %c mode %o, %d bytes; want the embedded probe's %d", got.typ, got.mode, len(got.data), len(data))
	}
	// The fallback is the running binary (here the test binary), and a
	// binary given wins over both.
	self, err := New(WithBusybox(""), withoutEmbedded())
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	if self.Embedded || self.Binary.Path != exe || self.Hash == img.Hash {
		t.Errorf("without the embedded probe: embedded=%v path=%s hash=%s, want the running %s", self.Embedded, self.Binary.Path, self.Hash, exe)
	}
	given, err := New(WithBusybox(""), WithBinary(stub(t, "static")))
	if err != nil {
		t.Fatal(err)
	}
	if given.Embedded || given.Hash == img.Hash {
		t.Errorf("WithBinary: embedded=%v, want the given binary", given.Embedded)
	}
}
