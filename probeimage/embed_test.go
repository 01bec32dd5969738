package probeimage

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/overlab/overlab/internal/testenv"
)

// embeddedOrSkip returns the embedded probe for goarch; CI builds with
// make, which embeds every architecture of wantedArchs.
func embeddedOrSkip(t *testing.T, goarch string) []byte {
	t.Helper()
	data := embeddedProbe(goarch)
	if data == nil {
		testenv.SkipOrFail(t, "no embedded probe "+EmbeddedName(goarch)+": `make build` puts it there before the tests")
	}
	return data
}

// wantedArchs are the probes `make build` embeds (PROBE_ARCHS).
var wantedArchs = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// TestEmbeddedProbesAreStaticELF: each embedded probe is a 64-bit
// little-endian Linux executable of its architecture's machine type with no
// loader and no shared library, so that it runs in an image that has
// nothing else, on a host of that architecture.
func TestEmbeddedProbesAreStaticELF(t *testing.T) {
	for arch, machine := range wantedArchs {
		t.Run(arch, func(t *testing.T) {
			data := embeddedOrSkip(t, arch)
			f, err := elf.NewFile(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: %v", EmbeddedName(arch), err)
			}
			defer f.Close()
			if f.Machine != machine || f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB || f.Type != elf.ET_EXEC {
				t.Errorf("%s: machine %v class %v data %v type %v; want %v, ELFCLASS64, ELFDATA2LSB, ET_EXEC",
					EmbeddedName(arch), f.Machine, f.Class, f.Data, f.Type, machine)
			}
			if f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
				t.Errorf("%s: OS ABI %v, want a Linux (System V) executable", EmbeddedName(arch), f.OSABI)
			}
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
					t.Errorf("%s has a %v segment: not static", EmbeddedName(arch), p.Type)
				}
			}
			if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
				t.Errorf("%s needs %v", EmbeddedName(arch), libs)
			}
		})
	}
	if got := EmbeddedArchs(); testenv.CI() && !slices.Equal(got, []string{"amd64", "arm64"}) {
		t.Errorf("EmbeddedArchs() = %v, want amd64 and arm64", got)
	}
}

// TestEmbeddedProbeIsCurrent: each embedded probe is what ./cmd/overlab-probe
// builds to now for its architecture, byte for byte (Go builds are
// reproducible with -trimpath), so an overlab built after a probe change
// never carries the old probe.
func TestEmbeddedProbeIsCurrent(t *testing.T) {
	for arch := range wantedArchs {
		t.Run(arch, func(t *testing.T) {
			data := embeddedOrSkip(t, arch)
			fresh := filepath.Join(t.TempDir(), "overlab-probe")
			cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", fresh, "../cmd/overlab-probe")
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("build the probe: %v\n%s", err, out)
			}
			want, err := os.ReadFile(fresh)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, want) {
				t.Fatalf("the embedded probe %s (%d bytes) is not the current ./cmd/overlab-probe (%d bytes): run make build", EmbeddedName(arch), len(data), len(want))
			}
		})
	}
}

func TestImageUsesEmbeddedProbe(t *testing.T) {
	data := embeddedOrSkip(t, runtime.GOARCH)
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
