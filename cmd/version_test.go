package cmd

import (
	"bytes"
	"strings"
	"testing"

	"github.com/overlab/overlab/version"
)

func TestVersionSaysVersionEngineAPIAndProbes(t *testing.T) {
	var b bytes.Buffer
	printVersion(&b, []string{"amd64", "arm64"})
	for _, want := range []string{"overlab " + version.String(), "engine API " + version.EngineAPI(), "probes embedded: linux/amd64, linux/arm64"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("version says\n%s\nwant %q", b.String(), want)
		}
	}
	b.Reset()
	printVersion(&b, nil)
	if !strings.Contains(b.String(), "probes embedded: none (") {
		t.Errorf("without embedded probes:\n%s", b.String())
	}
	stdout, _, code := run(t, "version")
	if code != 0 || len(strings.Split(strings.TrimSpace(stdout), "\n")) != 3 {
		t.Errorf("overlab version: exit %d\n%s", code, stdout)
	}
}
