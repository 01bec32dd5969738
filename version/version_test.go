package version

import "testing"

func TestModuleVersionIsOnlyARealOne(t *testing.T) {
	for in, want := range map[string]string{"": "", Devel: "", "v1.2.3": "v1.2.3", "v0.0.0-20260101000000-abcdefabcdef": "v0.0.0-20260101000000-abcdefabcdef"} {
		if got := moduleVersion(in); got != want {
			t.Errorf("moduleVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStringPrefersTheLinkedVersion(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = "v9.9.9"
	if got := String(); got != "v9.9.9" {
		t.Errorf("String() = %q with version set at link time", got)
	}
	version = ""
	if got := String(); got != Devel && got != ModuleVersion() {
		t.Errorf("String() = %q without a linked version", got)
	}
}

func TestEngineAPIIsTheClientsDefault(t *testing.T) {
	if EngineAPI() == "" {
		t.Fatal("no engine API version")
	}
}
