package importer

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func addFixtures(f *testing.F, glob string) {
	files, _ := filepath.Glob(filepath.Join("testdata", glob))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
}

// The parsers read files people hand us: errors are fine, panics and
// unbounded work are not.

func FuzzVagrantSSHConfig(f *testing.F) {
	addFixtures(f, "*-vagrant-*.txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := ParseVagrantSSHConfig(bytes.NewReader(data))
		if err != nil {
			return
		}
		_, _ = FromVagrant(ms, VagrantOptions{Addresses: VagrantPlan(len(ms))})
	})
}

func FuzzAnsibleINI(f *testing.F) {
	addFixtures(f, "*-ansible*.ini")
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = AnsibleINI(bytes.NewReader(data), AnsibleOptions{})
	})
}

func FuzzAnsibleYAML(f *testing.F) {
	addFixtures(f, "*-ansible*.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = AnsibleYAML(bytes.NewReader(data), AnsibleOptions{})
	})
}

func FuzzParseIPAddr(f *testing.F) {
	addFixtures(f, "ip-addr-*.txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = ParseIPAddr(data)
	})
}
