package probeimage

import (
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestInspectBinary(t *testing.T) {
	tests := []struct {
		name   string
		path   func(t *testing.T) string
		static bool
		arch   string
	}{
		{"static go build", func(t *testing.T) string { return stub(t, "static") }, true, runtime.GOARCH},
		{"cgo go build", func(t *testing.T) string { return stub(t, "cgo") }, false, runtime.GOARCH},
		{"arm64 go build", func(t *testing.T) string { return stub(t, "arm64") }, true, "arm64"},
		{"debian ls", func(*testing.T) string { return "/bin/ls" }, false, runtime.GOARCH},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := InspectBinary(tc.path(t))
			if err != nil {
				t.Fatal(err)
			}
			if info.Static != tc.static || info.Arch != tc.arch {
				t.Errorf("static=%v arch=%s, want static=%v arch=%s", info.Static, info.Arch, tc.static, tc.arch)
			}
			if !tc.static && (!strings.Contains(info.Interp, "ld-") || !slices.Contains(info.Needed, "libc.so.6")) {
				t.Errorf("dynamic binary: interp %q needed %v, want a loader and libc.so.6", info.Interp, info.Needed)
			}
		})
	}
	if _, err := InspectBinary("testdata/stub/main.go"); err == nil || !strings.Contains(err.Error(), "not an ELF executable") {
		t.Errorf("source file taken for a binary: %v", err)
	}
}

func TestCheckArch(t *testing.T) {
	bin := BinaryInfo{Path: "./overlab", Arch: "amd64"}
	for _, host := range []string{"x86_64", "amd64", "AMD64", ""} {
		if err := bin.CheckArch(host); err != nil {
			t.Errorf("host %q: %v", host, err)
		}
	}
	err := bin.CheckArch("aarch64")
	for _, want := range []string{"the host is arm64 (aarch64)", "./overlab is amd64",
		"leave --probe-binary out", "GOARCH=arm64 CGO_ENABLED=0 go build -o overlab-probe-arm64 ./cmd/overlab-probe", "--probe-binary overlab-probe-arm64"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("aarch64 host: %v\nwant it to say %q", err, want)
		}
	}
	if err := CheckArch(runtime.GOARCH); err != nil {
		t.Errorf("own arch: %v", err)
	}
	for in, want := range map[string]string{"armv7l": "arm", "i686": "386", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"} {
		if got := NormalizeArch(in); got != want {
			t.Errorf("NormalizeArch(%q) = %q, want %q", in, got, want)
		}
	}
}
