package probeimage

import (
	"embed"
	"io/fs"
)

// embedded holds what `make build` put in embedded/: the dedicated probe
// for the architecture overlab was built for, or nothing.
//
//go:embed all:embedded
var embedded embed.FS

// EmbeddedName is the file name of the dedicated probe for goarch.
func EmbeddedName(goarch string) string { return "overlab-probe-linux-" + goarch }

// embeddedProbe returns the embedded dedicated probe for goarch, or nil.
func embeddedProbe(goarch string) []byte {
	b, err := fs.ReadFile(embedded, "embedded/"+EmbeddedName(goarch))
	if err != nil || len(b) == 0 {
		return nil
	}
	return b
}
