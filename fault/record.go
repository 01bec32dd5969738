package fault

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/overlab/overlab/hostcmd"
)

// A record line: id, kind, what, base64 of the undo script, tab-separated.
func (f Fault) line() string {
	clean := strings.NewReplacer("\t", " ", "\n", " ")
	return strings.Join([]string{f.ID, f.Kind, clean.Replace(f.What), base64.StdEncoding.EncodeToString([]byte(f.Undo))}, "\t")
}

func parseRecord(host, s string) []Fault {
	var out []Fault
	for _, l := range strings.Split(s, "\n") {
		p := strings.Split(l, "\t")
		if len(p) != 4 {
			continue
		}
		undo, err := base64.StdEncoding.DecodeString(p[3])
		if err != nil {
			continue
		}
		out = append(out, Fault{ID: p[0], Host: host, Kind: p[1], What: p[2], Undo: string(undo)})
	}
	return out
}

func record(ctx context.Context, h hostcmd.Host, f Fault) error {
	_, err := hostcmd.RunRoot(ctx, h, "umask 077; printf '%s\\n' "+hostcmd.Quote(f.line())+" >> "+RecordPath)
	if err != nil {
		return fmt.Errorf("%s: recording the fault in %s: %w", h.Name(), RecordPath, err)
	}
	return nil
}

// List returns the faults recorded on h, oldest first.
func List(ctx context.Context, h hostcmd.Host) ([]Fault, error) {
	out, err := hostcmd.RunRoot(ctx, h, "cat "+RecordPath+" 2>/dev/null || true")
	if err != nil {
		return nil, fmt.Errorf("%s: reading %s: %w", h.Name(), RecordPath, err)
	}
	return parseRecord(h.Name(), out), nil
}

// Heal undoes every fault recorded on h, newest first, and returns them.
// A fault whose undo fails stays recorded, so that heal can be repeated.
func Heal(ctx context.Context, h hostcmd.Host) ([]Fault, error) { return HealOnly(ctx, h) }

// HealOnly undoes the faults recorded on h with these IDs (every fault
// when none are given), newest first, and returns them; the others stay,
// as does a fault whose undo fails, so that heal can be repeated.
func HealOnly(ctx context.Context, h hostcmd.Host, ids ...string) ([]Fault, error) {
	all, err := List(ctx, h)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	var have, others []Fault
	for _, f := range all {
		if len(ids) == 0 || slices.Contains(ids, f.ID) {
			have = append(have, f)
		} else {
			others = append(others, f)
		}
	}
	var healed, kept []Fault
	var errs *multierror.Error
	for i := len(have) - 1; i >= 0; i-- {
		f := have[i]
		if _, err := hostcmd.RunRoot(ctx, h, f.Undo); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("%s: undoing fault %s (%s): %w", h.Name(), f.ID, f.What, err))
			kept = append([]Fault{f}, kept...)
			continue
		}
		healed = append(healed, f)
	}
	stay := append(others, kept...)
	var lines []string
	for _, f := range all { // in the record's own order
		if slices.ContainsFunc(stay, func(s Fault) bool { return s.ID == f.ID }) {
			lines = append(lines, f.line())
		}
	}
	rewrite := "rm -f " + RecordPath
	if len(lines) > 0 {
		rewrite = "umask 077; printf '%s\\n' " + hostcmd.Quote(strings.Join(lines, "\n")) + " > " + RecordPath
	}
	if _, err := hostcmd.RunRoot(ctx, h, rewrite); err != nil {
		errs = multierror.Append(errs, fmt.Errorf("%s: rewriting %s: %w", h.Name(), RecordPath, err))
	}
	return healed, errs.ErrorOrNil()
}
