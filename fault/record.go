package fault

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/overlab/overlab/hostcmd"
	"github.com/overlab/overlab/shellquote"
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
	_, err := hostcmd.RunRoot(ctx, h, "umask 077; printf '%s\\n' "+shellquote.Quote(f.line())+" >> "+RecordPath)
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

// Heal undoes every record on h, faults and routes alike, newest first,
// and returns them. A fault whose undo fails stays recorded, so that heal
// can be repeated.
func Heal(ctx context.Context, h hostcmd.Host) ([]Fault, error) { return HealWhere(ctx, h, nil) }

// HealOnly undoes the records on h with these IDs (every one when none are
// given), as HealWhere does.
func HealOnly(ctx context.Context, h hostcmd.Host, ids ...string) ([]Fault, error) {
	if len(ids) == 0 {
		return HealWhere(ctx, h, nil)
	}
	return HealWhere(ctx, h, func(f Fault) bool { return slices.Contains(ids, f.ID) })
}

// HealWhere undoes the records on h that match (every one when match is
// nil), newest first, and returns them; the others stay recorded, as does
// one whose undo fails.
func HealWhere(ctx context.Context, h hostcmd.Host, match func(Fault) bool) ([]Fault, error) {
	all, err := List(ctx, h)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	var healed, kept []Fault
	var errs *multierror.Error
	for i := len(all) - 1; i >= 0; i-- {
		f := all[i]
		if match != nil && !match(f) {
			kept = append([]Fault{f}, kept...)
			continue
		}
		if _, err := hostcmd.RunRoot(ctx, h, f.Undo); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("%s: undoing %s %s (%s): %w", h.Name(), recordNoun(f), f.ID, f.What, err))
			kept = append([]Fault{f}, kept...)
			continue
		}
		healed = append(healed, f)
	}
	if len(healed) == 0 {
		return nil, errs.ErrorOrNil() // nothing changed: the record stays as it is
	}
	return healed, rewriteRecord(ctx, h, kept, errs)
}

// rewriteRecord leaves only the records kept on h (none: no file), adding
// a failure to errs.
func rewriteRecord(ctx context.Context, h hostcmd.Host, kept []Fault, errs *multierror.Error) error {
	var lines []string
	for _, f := range kept {
		lines = append(lines, f.line())
	}
	rewrite := "rm -f " + RecordPath
	if len(lines) > 0 {
		rewrite = "umask 077; printf '%s\\n' " + shellquote.Quote(strings.Join(lines, "\n")) + " > " + RecordPath
	}
	if _, err := hostcmd.RunRoot(ctx, h, rewrite); err != nil {
		errs = multierror.Append(errs, fmt.Errorf("%s: rewriting %s: %w", h.Name(), RecordPath, err))
	}
	return errs.ErrorOrNil()
}
