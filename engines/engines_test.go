package engines

import (
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]string{
		"20.10.24+dfsg1": "20.10.24",
		"28.5.2+dfsg4":   "28.5.2",
		"26.1.5":         "26.1.5",
		"v27.0.1":        "27.0.1",
		"28.0.0-rc.1":    "28.0.0",
		"28":             "28",
	} {
		v, err := ParseVersion(in)
		if err != nil || v.String() != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %s", in, v, err, want)
		}
	}
	for _, bad := range []string{"", "latest", "x28"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) accepted", bad)
		}
	}
}

func TestRange(t *testing.T) {
	tests := []struct {
		rng     string
		allowed []string
		refused []string
	}{
		{">= 28.0", []string{"28.0.0", "28.5.2+dfsg4", "29.1"}, []string{"27.5.1", "26.1.5+dfsg1", "20.10.24"}},
		{"< 28.0", []string{"27.5.1", "26.1.5", "20.10.24+dfsg1"}, []string{"28.0.4", "28.5.2"}},
		{">= 26.0, < 28.0", []string{"26.1.5", "27.5.1"}, []string{"20.10.24", "28.5.2"}},
		{"= 26.1", []string{"26.1.0", "26.1.5+dfsg1"}, []string{"26.0.2", "26.2.0"}},
		{"= 28", []string{"28.0.0", "28.5.2"}, []string{"27.5.1", "29.0"}},
		{"> 28.0", []string{"28.1.0", "29.0"}, []string{"28.0.4", "27.1"}},
		{"<= 27", []string{"27.5.1", "20.10.24"}, []string{"28.0.0"}},
		{"!= 26.1", []string{"28.5.2", "20.10.24"}, []string{"26.1.5"}},
	}
	for _, tt := range tests {
		r, err := ParseRange(tt.rng)
		if err != nil {
			t.Fatalf("%q: %v", tt.rng, err)
		}
		for _, v := range tt.allowed {
			if ok, known := r.AllowsString(v); !ok || !known {
				t.Errorf("%q refuses %s", tt.rng, v)
			}
		}
		for _, v := range tt.refused {
			if ok, _ := r.AllowsString(v); ok {
				t.Errorf("%q allows %s", tt.rng, v)
			}
		}
		if r.String() != tt.rng {
			t.Errorf("String() = %q, want %q", r, tt.rng)
		}
	}
	if ok, known := MustRange(">= 28.0").AllowsString(""); !ok || known {
		t.Errorf("an unknown version: ok %v known %v, want allowed and unknown", ok, known)
	}
}

func TestParseRangeErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":           "empty engine range",
		"28.0":       "starts with >=",
		">= latest":  "not an engine version",
		">= 28.0, ":  "starts with >=",
		">= 28.x":    "plain numbers",
		"=> 28":      "not an engine version",
		">= 28.0.1a": "plain numbers",
	} {
		_, err := ParseRange(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRange(%q) = %v, want an error saying %q", in, err, want)
		}
	}
}

func TestGeneration(t *testing.T) {
	for in, want := range map[string]string{"28.5.2+dfsg4": "28.5", "20.10.24+dfsg1": "20.10", "27": "27", "": ""} {
		if got := Generation(in); got != want {
			t.Errorf("Generation(%q) = %q, want %q", in, got, want)
		}
	}
}
