package cmd

import (
	"os"
	"testing"
)

// binDir holds the binary buildOverlab built; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}
