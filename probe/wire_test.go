package probe

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDecodeRequest(t *testing.T) {
	tests := []struct {
		file    string
		targets int
		wantErr []string // every problem, reported at once
	}{
		{file: "valid-array.json", targets: 2},
		{file: "valid-object.json", targets: 3},
		{file: "invalid-unknown-field.json", wantErr: []string{`unknown field "adress"`}},
		{file: "invalid-targets.json", wantErr: []string{
			"timeout_ms, tries and concurrency must not be negative",
			`targets[0] (id "a"): port 0 is not in 1-65535`,
			`targets[1] (id "a"): id already used by targets[0]`,
			`targets[1] (id "a"): address is required`,
			"targets[2]: name is required",
			`targets[3] (id "w"): url "ftp://x/": want http://host[:port]/path`,
			`targets[4] (id "z"): kind is required`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			req, err := DecodeRequest(f)
			if len(tc.wantErr) == 0 {
				if err != nil || len(req.Targets) != tc.targets {
					t.Fatalf("got %d targets, %v; want %d targets", len(req.Targets), err, tc.targets)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\ndoes not say %q", err, want)
				}
			}
		})
	}
}

func TestRequestOptions(t *testing.T) {
	req := Request{TimeoutMS: 1500, Tries: 2, Concurrency: 8}
	cfg := runConfig{tries: DefaultTries, timeout: DefaultTimeout, concurrency: DefaultConcurrency}
	for _, o := range req.Options() {
		o(&cfg)
	}
	if cfg.tries != 2 || cfg.timeout != 1500*time.Millisecond || cfg.concurrency != 8 {
		t.Errorf("options gave %+v", cfg)
	}
	cfg = runConfig{tries: DefaultTries, timeout: DefaultTimeout, concurrency: DefaultConcurrency}
	for _, o := range (Request{}).Options() {
		o(&cfg)
	}
	if cfg.tries != DefaultTries || cfg.timeout != DefaultTimeout || cfg.concurrency != DefaultConcurrency {
		t.Errorf("zero request changed the defaults: %+v", cfg)
	}
}

func TestExecuteReportRoundTrip(t *testing.T) {
	a := startServe(t)
	req := Request{Targets: []Target{{ID: "tcp", Kind: KindTCP, Address: "127.0.0.1", Port: port(a.TCP), Probe: true, Auth: true}}}
	rep := Execute(context.Background(), req, WithToken(testToken))
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"hostname":`, `"started_at":`, `"duration_ms":`, `"results":[{"id":"tcp","kind":"tcp","target":"127.0.0.1:`, `"reachable":true`, `"rtt_ms":`, `"tries":1`, `"via":"banner"`, `"peer":"probe-test"`} {
		if !strings.Contains(string(data), field) {
			t.Errorf("report %s lacks %s", data, field)
		}
	}
	back, err := DecodeReport(data)
	if err != nil || len(back.Results) != 1 || back.Results[0].Peer != "probe-test" {
		t.Errorf("DecodeReport: %+v, %v", back, err)
	}
}
