package probeimage

import (
	"debug/elf"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// BinaryInfo is what the image needs to know of an executable.
type BinaryInfo struct {
	Path   string
	Arch   string // GOARCH spelling
	Static bool
	Interp string // the dynamic loader a non-static binary asks for
	// Needed are the shared libraries it names (DT_NEEDED), RunPath the
	// directories it asks the loader to search first.
	Needed  []string
	RunPath []string

	class   elf.Class
	machine elf.Machine
}

// InspectBinary reads path's ELF headers.
func InspectBinary(path string) (BinaryInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return BinaryInfo{}, fmt.Errorf("%s is not an ELF executable: %w", path, err)
	}
	defer f.Close()
	return inspectELF(f, path)
}

// inspectELF reads the ELF headers of r, which path names in messages.
func inspectELF(r io.ReaderAt, path string) (BinaryInfo, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return BinaryInfo{}, fmt.Errorf("%s is not an ELF executable: %w", path, err)
	}
	defer f.Close()
	info := BinaryInfo{Path: path, Arch: goArch(f), Static: true, class: f.Class, machine: f.Machine}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			info.Static = false
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err == nil {
				info.Interp = strings.TrimRight(string(b), "\x00")
			}
		}
	}
	// A binary without PT_INTERP may still be a shared object (static-pie
	// has no DT_NEEDED); only what it names is needed.
	info.Needed, _ = f.ImportedLibraries()
	for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
		if paths, err := f.DynString(tag); err == nil {
			for _, p := range paths {
				info.RunPath = append(info.RunPath, strings.Split(p, ":")...)
			}
		}
	}
	return info, nil
}

// CheckArch says whether the probe image can run on a host of hostArch
// (Docker's spelling such as x86_64 or aarch64, or Go's).
func (b BinaryInfo) CheckArch(hostArch string) error {
	want := NormalizeArch(hostArch)
	if want == "" || want == b.Arch {
		return nil
	}
	return fmt.Errorf("the host is %s (%s) but the probe binary %s is %s: leave --probe-binary out (overlab brings "+
		"a probe for each host's architecture), or give one built with "+
		"`GOARCH=%s CGO_ENABLED=0 go build -o overlab-probe-%s ./cmd/overlab-probe` (--probe-binary overlab-probe-%s)",
		want, hostArch, b.Path, b.Arch, want, want, want)
}

// CheckArch compares hostArch with the architecture of the running overlab,
// the default probe binary.
func CheckArch(hostArch string) error {
	return BinaryInfo{Path: "overlab", Arch: runtime.GOARCH}.CheckArch(hostArch)
}

// NormalizeArch turns `uname -m` / docker info spellings into GOARCH ones;
// "" stays "" (unknown: not checked).
func NormalizeArch(a string) string {
	switch s := strings.ToLower(strings.TrimSpace(a)); s {
	case "x86_64", "x86-64", "amd64":
		return "amd64"
	case "aarch64", "arm64", "armv8", "armv8l":
		return "arm64"
	case "armv7l", "armv7", "armv6l", "armhf", "arm":
		return "arm"
	case "i386", "i486", "i586", "i686", "386", "x86":
		return "386"
	case "loongarch64", "loong64":
		return "loong64"
	default:
		return s
	}
}

func goArch(f *elf.File) string {
	switch f.Machine {
	case elf.EM_X86_64:
		return "amd64"
	case elf.EM_AARCH64:
		return "arm64"
	case elf.EM_ARM:
		return "arm"
	case elf.EM_386:
		return "386"
	case elf.EM_RISCV:
		return "riscv64"
	case elf.EM_S390:
		return "s390x"
	case elf.EM_LOONGARCH:
		return "loong64"
	case elf.EM_PPC64:
		if f.ByteOrder.String() == "LittleEndian" {
			return "ppc64le"
		}
		return "ppc64"
	case elf.EM_MIPS:
		return "mips" // endianness and width not told apart: rare for labs
	}
	return strings.ToLower(strings.TrimPrefix(f.Machine.String(), "EM_"))
}
