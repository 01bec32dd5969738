package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-multierror"
)

func multierrorOf(t *testing.T, err error) []error {
	t.Helper()
	var me *multierror.Error
	if !errors.As(err, &me) {
		t.Fatalf("%T is not a *multierror.Error", err)
	}
	return me.Errors
}

// FuzzLoad feeds arbitrary documents to the decoder in every format, then to
// Validate and Resolve: errors are fine, panics are not.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*-*.*")
	hostile, _ := filepath.Glob("testdata/hostile/*")
	for _, file := range append(files, hostile...) {
		data, err := os.ReadFile(file)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("hosts: [{name: a, address: 1.2.3.4, labels: {x: [1]}}]"))
	f.Add([]byte("{\"hosts\": null, \"defaults\": []}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []string{"yaml", "json", "toml"} {
			inv, err := decode(data, format)
			if err != nil {
				continue
			}
			_ = inv.Validate(WithLookup(offline))
			_, _ = inv.Resolve(WithoutSSHConfig(), WithHome("/nonexistent"))
		}
	})
}

// Small files that once stalled the loader are refused at once, each with
// its reason (scripts/hostile-fixtures.py writes them). The time is logged,
// not asserted.
func TestHostileFilesAreRefused(t *testing.T) {
	clearEnv(t)
	for file, want := range map[string]string{
		"deep.toml":            "parsing toml: line 2: nested deeper than 64 levels",
		"error-last-line.yaml": "line 5002: did not find expected '-' indicator",
		"aliases.yaml":         "line 3: the document expands to more than 100000 YAML nodes",
	} {
		start := time.Now()
		_, err := Load(filepath.Join("testdata", "hostile", file))
		t.Logf("%s refused in %v", file, time.Since(start).Round(time.Microsecond))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", file, err, want)
		}
	}
	// Too large to search for the line at fault within the budget: the
	// parser's own line, said as what it is.
	var doc bytes.Buffer
	doc.WriteString("hosts:\n")
	for i := range 20000 {
		fmt.Fprintf(&doc, "  - name: node%d\n    address: 10.1.%d.%d\n", i, i/250, i%250+1)
	}
	doc.WriteString("   bad: indentation\n")
	large := filepath.Join(t.TempDir(), "overlab.yaml")
	if err := os.WriteFile(large, doc.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := Load(large)
	t.Logf("a %d KB file with its error on the last line refused in %v", doc.Len()>>10, time.Since(start).Round(time.Microsecond))
	if err == nil || !strings.Contains(err.Error(), "line 1: did not find expected '-' indicator (in the block that starts there)") {
		t.Errorf("a large file with its error on the last line: %v", err)
	}
	big := filepath.Join(t.TempDir(), "overlab.yaml")
	if err := os.WriteFile(big, append([]byte("hosts: []\n"), bytes.Repeat([]byte("# padding\n"), 110_000)...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err = Load(big); err == nil || !strings.Contains(err.Error(), "larger than 1024 KiB") {
		t.Errorf("a file over the size limit: %v", err)
	}
}
