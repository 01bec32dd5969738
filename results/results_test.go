package results

import (
	"bytes"
	"strings"
	"testing"
)

func TestSummarizeAndRoundTrip(t *testing.T) {
	d := &Document{SchemaVersion: SchemaVersion, Probes: []Probe{{OK: true}, {OK: false}, {OK: true}}}
	d.Summarize()
	if d.Summary != (Summary{Total: 3, Passed: 2, Failed: 1}) || !d.Failed() {
		t.Fatalf("summary %+v", d.Summary)
	}
	var b bytes.Buffer
	if err := d.Encode(&b); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"schema_version": 1`, `"started_at"`, `"duration_ms"`, `"hosts"`, `"networks"`, `"probes"`, `"findings"`, `"summary"`, `"rtt_ms"`, `"expect"`, `"reachable"`, `"ok"`} {
		if !strings.Contains(b.String(), key) {
			t.Errorf("encoded document lacks %s", key)
		}
	}
	back, err := Decode(&b)
	if err != nil || back.Summary != d.Summary {
		t.Fatalf("round trip: %v %+v", err, back)
	}
	if _, err := Decode(strings.NewReader(`{"schema_version": 2}`)); err == nil || !strings.Contains(err.Error(), "schema_version 2") {
		t.Errorf("another schema version: %v", err)
	}
}
