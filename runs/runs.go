package runs

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/overlab/overlab/report"
	"github.com/overlab/overlab/results"
	"github.com/overlab/overlab/safefile"
)

// Where the history lives unless the user says otherwise.
const (
	DefaultDir = "overlab-results"
	EnvDir     = "OVERLAB_RESULTS"
)

// Files of a stored run.
const (
	ResultsFile = "results.json"
	JUnitFile   = "junit.xml"
	HTMLFile    = "report.html"
	EvidenceDir = "evidence"
)

// ResolveDir picks the results directory: the flag, then $OVERLAB_RESULTS,
// then ./overlab-results.
func ResolveDir(flag string) string {
	if flag != "" {
		return flag
	}
	if env := os.Getenv(EnvDir); env != "" {
		return env
	}
	return DefaultDir
}

// Run is one stored check.
type Run struct {
	ID        string    `json:"id"`
	Dir       string    `json:"dir"`
	StartedAt time.Time `json:"started_at"`
	Lab       string    `json:"lab"`
	Hosts     int       `json:"hosts"`
	Total     int       `json:"total"`
	Passed    int       `json:"passed"`
	Failed    int       `json:"failed"`
	// Document is the run's results, loaded by List and Open.
	Document *results.Document `json:"-"`
}

func newRun(id, dir string, d *results.Document) Run {
	s := d.Summary
	if s.Total == 0 && len(d.Probes) > 0 {
		c := *d
		c.Summarize()
		s = c.Summary
	}
	return Run{ID: id, Dir: dir, StartedAt: d.StartedAt, Lab: d.Lab, Hosts: len(d.Hosts),
		Total: s.Total, Passed: s.Passed, Failed: s.Failed, Document: d}
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+|\.\.+`)

// safeName keeps a name usable as one path element.
func safeName(s string) string {
	s = strings.Trim(unsafeChars.ReplaceAllString(s, "-"), "-.")
	if s == "" {
		return "x"
	}
	return s
}

// newID is "20261126-193012-<lab>-<4 hex>": sorting IDs sorts runs by start
// time; the suffix keeps two runs of one second apart.
func newID(d *results.Document) (string, error) {
	var b [2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("run id: %w", err)
	}
	lab := d.Lab
	if lab == "" {
		lab = "lab"
	}
	return d.StartedAt.UTC().Format("20060102-150405") + "-" + safeName(lab) + "-" + hex.EncodeToString(b[:]), nil
}

// Store writes d as a new run under dir: results.json, junit.xml,
// report.html and evidence/<network>_<from>_<to>_<kind>.txt for each failed
// probe. The check calls it after every run. Every file is created
// exclusively in a directory held open and renamed into place (package
// safefile), and a results directory that another user can change is
// refused: overlab often runs as root, and a link planted there would
// otherwise redirect root's writes.
func Store(dir string, d *results.Document) (Run, error) {
	top, err := openResultsDir(dir)
	if err != nil {
		return Run{}, err
	}
	defer top.Close()
	var id string
	var runDir *safefile.Dir
	for i := 0; ; i++ {
		if id, err = newID(d); err != nil {
			return Run{}, err
		}
		runDir, err = top.Mkdir(id, 0o755)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || i >= 10 {
			return Run{}, fmt.Errorf("store run: %w", err)
		}
	}
	defer runDir.Close()
	afterRunDir(filepath.Join(dir, id))
	files := []struct {
		name   string
		render func(io.Writer, *results.Document) error
	}{
		{JUnitFile, report.JUnit},
		{HTMLFile, report.HTML},
		// Last: a directory with results.json is a complete run.
		{ResultsFile, report.JSON},
	}
	if err := writeEvidence(runDir, d); err != nil {
		return Run{}, err
	}
	for _, f := range files {
		var buf bytes.Buffer
		if err := f.render(&buf, d); err != nil {
			return Run{}, fmt.Errorf("store run %s: %s: %w", id, f.name, err)
		}
		if err := runDir.WriteFile(f.name, buf.Bytes(), 0o644); err != nil {
			return Run{}, fmt.Errorf("store run %s: %w", id, err)
		}
	}
	return newRun(id, filepath.Join(dir, id), d), nil
}

// afterRunDir is called once a run's directory exists (tests stand in for
// another user there).
var afterRunDir = func(string) {}

// openResultsDir creates and opens the results directory, refusing one that
// is a link or that another user could change under overlab's feet.
func openResultsDir(dir string) (*safefile.Dir, error) {
	top, err := safefile.MkdirAll(dir, 0o755)
	if err != nil {
		return nil, fmt.Errorf("results directory: %w (pick another with --results or $%s)", err, EnvDir)
	}
	if who := top.OthersCanWrite(); who != "" {
		top.Close()
		return nil, fmt.Errorf("results directory %s: %s, so another user could swap what overlab writes there: pick a directory of your own with --results (or $%s)", dir, who, EnvDir)
	}
	return top, nil
}

// StoreRun stores d under the results directory the flag, the environment or
// the default names (see ResolveDir).
func StoreRun(dirFlag string, d *results.Document) (Run, error) {
	return Store(ResolveDir(dirFlag), d)
}

func writeEvidence(runDir *safefile.Dir, d *results.Document) error {
	used := map[string]int{}
	var ev *safefile.Dir
	for _, p := range d.Probes {
		if p.OK {
			continue
		}
		if ev == nil {
			var err error
			if ev, err = runDir.Mkdir(EvidenceDir, 0o755); err != nil {
				return fmt.Errorf("store evidence: %w", err)
			}
			defer ev.Close()
		}
		name := EvidenceName(p)
		used[name]++
		if n := used[name]; n > 1 {
			// Two probes of one kind to one peer (two targets): keep both.
			name = strings.TrimSuffix(name, ".txt") + fmt.Sprintf("-%d.txt", n)
		}
		if err := ev.WriteFile(name, []byte(report.ProbeDetails(p)), 0o644); err != nil {
			return fmt.Errorf("store evidence: %w", err)
		}
	}
	return nil
}

// EvidenceName is the evidence file of a failed probe.
func EvidenceName(p results.Probe) string {
	return safeName(p.Network) + "_" + safeName(p.From) + "_" + safeName(p.To) + "_" + safeName(p.Kind) + ".txt"
}

// List returns the runs stored under dir, oldest first. Directories without
// a results.json are not runs and are skipped; a results.json that cannot be
// read is reported in the error while the other runs are still returned. A
// missing dir is no runs, not an error.
func List(dir string) ([]Run, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	var out []Run
	var errs *multierror.Error
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		runDir := filepath.Join(dir, e.Name())
		path := filepath.Join(runDir, ResultsFile)
		if _, err := os.Stat(path); err != nil {
			continue
		}
		d, err := results.ReadFile(path)
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		out = append(out, newRun(e.Name(), runDir, d))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].StartedAt.Equal(out[j].StartedAt) {
			return out[i].StartedAt.Before(out[j].StartedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, errs.ErrorOrNil()
}

// ErrNoRuns is returned by Latest when the history is empty.
var ErrNoRuns = errors.New("no stored runs")

// Latest is the most recent run under dir.
func Latest(dir string) (Run, error) {
	rs, err := List(dir)
	if len(rs) == 0 {
		if err != nil {
			return Run{}, err
		}
		return Run{}, fmt.Errorf("%w in %s (run overlab check first)", ErrNoRuns, dir)
	}
	return rs[len(rs)-1], nil
}

// Open finds a run by its ID (or a unique prefix of one) under dir, by the
// path of its directory, or by the path of a results file of any name (a
// run's results.json, or what `check --json FILE` wrote); "latest" (or "")
// is the most recent run.
func Open(dir, idOrPath string) (Run, error) {
	if idOrPath == "" || idOrPath == "latest" {
		return Latest(dir)
	}
	if st, err := os.Stat(idOrPath); err == nil {
		if st.IsDir() {
			return openDir(idOrPath, filepath.Join(idOrPath, ResultsFile))
		}
		return openFile(idOrPath)
	}
	if !strings.ContainsRune(idOrPath, os.PathSeparator) {
		if _, err := os.Stat(filepath.Join(dir, idOrPath, ResultsFile)); err == nil {
			return openDir(filepath.Join(dir, idOrPath), filepath.Join(dir, idOrPath, ResultsFile))
		}
		rs, _ := List(dir)
		var match []Run
		for _, r := range rs {
			if strings.HasPrefix(r.ID, idOrPath) {
				match = append(match, r)
			}
		}
		switch len(match) {
		case 1:
			return match[0], nil
		case 0:
		default:
			var ids []string
			for _, r := range match {
				ids = append(ids, r.ID)
			}
			return Run{}, fmt.Errorf("run %q is ambiguous in %s: %s", idOrPath, dir, strings.Join(ids, ", "))
		}
	}
	return Run{}, fmt.Errorf("no run %q: neither a run ID in %s nor a run directory", idOrPath, dir)
}

// openFile opens a results file: a run's own results.json is that run; any
// other file is a run named after the file.
func openFile(path string) (Run, error) {
	if filepath.Base(path) == ResultsFile {
		return openDir(filepath.Dir(path), path)
	}
	d, err := results.ReadFile(path)
	if err != nil {
		return Run{}, fmt.Errorf("open run: %w", err)
	}
	return newRun(strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), filepath.Dir(path), d), nil
}

func openDir(runDir, path string) (Run, error) {
	d, err := results.ReadFile(path)
	if err != nil {
		return Run{}, fmt.Errorf("open run: %w", err)
	}
	return newRun(filepath.Base(runDir), runDir, d), nil
}
