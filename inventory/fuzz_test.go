package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

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
	for _, file := range files {
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
