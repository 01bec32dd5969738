// Package testenv holds overlab's one rule for tests that need something
// the machine may lack (root, gcc, Chromium, lab hosts): skip it on a
// developer's machine, fail it in CI, where everything must run.
package testenv

import (
	"os"
	"testing"
)

// CI reports whether the tests run in CI (CI=true), where nothing may be
// skipped.
func CI() bool { return os.Getenv("CI") == "true" }

// SkipOrFail skips t, saying why, or fails it in CI.
func SkipOrFail(t testing.TB, why string) {
	t.Helper()
	if CI() {
		t.Fatal(why + ", and CI=true forbids skipping it")
	}
	t.Skip(why)
}
