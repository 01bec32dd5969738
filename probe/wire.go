package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hashicorp/go-multierror"
)

// Request is what `overlab probe run` reads on stdin. A bare JSON array of
// targets is accepted too.
type Request struct {
	Targets     []Target `json:"targets"`
	TimeoutMS   int      `json:"timeout_ms,omitempty"`  // per target, across its tries
	Tries       int      `json:"tries,omitempty"`       // per target
	Concurrency int      `json:"concurrency,omitempty"` // targets in flight
	// TokenID names the installed token (Token.ID, never the token) that
	// proves the targets' requests; empty: the last one installed, if any.
	TokenID string `json:"token_id,omitempty"`
}

// Bounds of a request: a check sends a few hundred targets at most.
const (
	MaxTargets     = 10000
	MaxTries       = 20
	MaxTimeoutMS   = 10 * 60 * 1000
	MaxConcurrency = 1024
)

// Report is what `overlab probe run` writes on stdout: one document with a
// Result per target, in the order of the request.
type Report struct {
	Hostname   string    `json:"hostname"`
	StartedAt  time.Time `json:"started_at"`
	DurationMS float64   `json:"duration_ms"`
	Results    []Result  `json:"results"`
}

// DecodeRequest reads a Request strictly (unknown fields are errors) and
// validates it, reporting every bad target at once.
func DecodeRequest(r io.Reader) (Request, error) {
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return Request{}, fmt.Errorf("read targets: %w", err)
	}
	data = bytes.TrimSpace(data)
	var req Request
	if len(data) > 0 && data[0] == '[' {
		err = strictUnmarshal(data, &req.Targets)
	} else {
		err = strictUnmarshal(data, &req)
	}
	if err != nil {
		return Request{}, fmt.Errorf("decode targets: %w", err)
	}
	return req, req.Validate()
}

// Validate checks the request's numbers and every target, naming each.
func (req Request) Validate() error {
	var errs []error
	if req.TimeoutMS < 0 || req.Tries < 0 || req.Concurrency < 0 {
		errs = append(errs, errors.New("timeout_ms, tries and concurrency must not be negative"))
	}
	for _, c := range []struct {
		name   string
		n, max int
	}{{"targets", len(req.Targets), MaxTargets}, {"tries", req.Tries, MaxTries}, {"timeout_ms", req.TimeoutMS, MaxTimeoutMS}, {"concurrency", req.Concurrency, MaxConcurrency}} {
		if c.n > c.max {
			errs = append(errs, fmt.Errorf("%s %d: at most %d", c.name, c.n, c.max))
		}
	}
	if len(req.Targets) > MaxTargets {
		return multierror.Append(nil, errs...).ErrorOrNil()
	}
	seen := map[string]int{}
	for i, t := range req.Targets {
		name := fmt.Sprintf("targets[%d]", i)
		if t.ID != "" {
			name += fmt.Sprintf(" (id %q)", t.ID)
			if j, dup := seen[t.ID]; dup {
				errs = append(errs, fmt.Errorf("%s: id already used by targets[%d]", name, j))
			}
			seen[t.ID] = i
		}
		if err := t.Validate(); err != nil {
			errs = append(errs, multierror.Prefix(err, name+":"))
		}
	}
	return multierror.Append(nil, errs...).ErrorOrNil()
}

// Options turns the request's settings into Run options.
func (req Request) Options() []RunOption {
	return []RunOption{
		WithTimeout(time.Duration(req.TimeoutMS) * time.Millisecond),
		WithTries(req.Tries),
		WithConcurrency(req.Concurrency),
	}
}

// Execute runs req and returns its Report.
func Execute(ctx context.Context, req Request, opts ...RunOption) Report {
	host, _ := os.Hostname()
	start := time.Now()
	results := Run(ctx, req.Targets, append(req.Options(), opts...)...)
	return Report{Hostname: host, StartedAt: start.UTC(), DurationMS: float64(time.Since(start).Microseconds()) / 1000, Results: results}
}

// DecodeReport reads what `overlab probe run` printed (the check's side).
// Unknown fields are allowed: a probe built from a newer overlab may add some.
func DecodeReport(data []byte) (Report, error) {
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return Report{}, fmt.Errorf("decode probe report: %w", err)
	}
	return rep, nil
}

func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON document")
	}
	return nil
}
