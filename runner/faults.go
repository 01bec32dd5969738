package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/fault"
	"github.com/overlab/overlab/hostcmd"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/results"
)

// healTimeout bounds the heal that follows a fault lab's check, which runs
// even after Ctrl-C: long enough for a slow host, short enough to end.
const healTimeout = 2 * time.Minute

// made is one fault a lab made, with its index in the document's record.
type made struct {
	host, id string
	i        int
}

// makeFaults makes the lab's faults, records them in doc and waits the
// longest of their waits. It returns the heal that undoes exactly the
// faults it made and records whether each was healed: call it whatever
// happens, after an error and after Ctrl-C too. A fault that cannot be
// made is an error; the ones made before it are healed by heal.
func (r *Runner) makeFaults(ctx context.Context, c *cluster.Cluster, infos []lab.HostInfo, l *lab.Lab, doc *results.Document) (heal func(), err error) {
	planned, diags, err := l.PlanFaults(infos)
	if err != nil {
		return func() {}, err
	}
	fr := &results.FaultRun{Faults: []results.Fault{}, Diagnoses: []results.DiagnosisCheck{}}
	doc.Faults = fr
	for _, d := range diags {
		fr.Diagnoses = append(fr.Diagnoses, results.DiagnosisCheck{Pattern: d.Pattern, Hosts: d.Hosts, Says: d.Says})
	}
	var done []made
	heal = func() { r.healFaults(ctx, c, fr, done) }
	ph := r.progress.Start("faults")
	for _, p := range planned {
		rec := results.Fault{Host: p.Host, Kind: p.Spec.Kind, Note: p.Note}
		n := c.Node(p.Host)
		if n == nil {
			rec.Error = "not connected"
			fr.Faults = append(fr.Faults, rec)
			err = fmt.Errorf("fault on %s: the host is not connected", p.Host)
			break
		}
		step := ph.Host(p.Host)
		f, ferr := fault.Inject(ctx, n, n.Host.Address, p.Spec)
		step.Done(ferr)
		if ferr != nil {
			rec.Error = ferr.Error()
			fr.Faults = append(fr.Faults, rec)
			err = fmt.Errorf("making the lab's faults: %w", ferr)
			break
		}
		rec.What = f.What
		fr.Faults = append(fr.Faults, rec)
		done = append(done, made{host: p.Host, id: f.ID, i: len(fr.Faults) - 1})
		ph.Infof("%s: %s", p.Host, f.What)
		if p.Spec.Kind == fault.MTU {
			err = c.Reconnect(ctx, p.Host)
		}
	}
	if err == nil {
		err = wait(ctx, lab.Wait(planned), ph.Infof)
	}
	if err == nil {
		err = r.forgetNeighbours(ctx, c, l)
	}
	ph.End(err)
	return heal, err
}

// wait lets the faults take effect, or ends with the context.
func wait(ctx context.Context, d time.Duration, say func(string, ...any)) error {
	if d <= 0 {
		return nil
	}
	say("waiting %v for the faults to take effect", d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// healFaults undoes the faults in done, host by host, and records it.
func (r *Runner) healFaults(ctx context.Context, c *cluster.Cluster, fr *results.FaultRun, done []made) {
	if len(done) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), healTimeout)
	defer cancel()
	ph := r.progress.Start("heal")
	var errs []string
	for _, host := range hostsOf(done) {
		var ids []string
		for _, m := range done {
			if m.host == host {
				ids = append(ids, m.id)
			}
		}
		healed, err := fault.HealOnly(ctx, c.Node(host), ids...)
		for _, m := range done {
			if m.host != host {
				continue
			}
			if slices.ContainsFunc(healed, func(f fault.Fault) bool { return f.ID == m.id }) {
				fr.Faults[m.i].Healed = true
			} else if err != nil {
				fr.Faults[m.i].HealError = err.Error()
				errs = append(errs, err.Error())
			}
		}
	}
	var err error
	if len(errs) > 0 {
		err = fmt.Errorf("%s (overlab fault heal, or overlab down, undoes them)", strings.Join(errs, "; "))
	}
	ph.End(err)
}

func hostsOf(done []made) []string {
	var out []string
	for _, m := range done {
		if !slices.Contains(out, m.host) {
			out = append(out, m.host)
		}
	}
	return out
}

// judgeDiagnoses compares the diagnoses the check made with those the lab
// expects: each expected one must be made (pattern, exactly its hosts, and
// its text in the cause), and none other.
func judgeDiagnoses(doc *results.Document) {
	fr := doc.Faults
	if fr == nil {
		return
	}
	matched := make([]bool, len(doc.Diagnoses))
	for i := range fr.Diagnoses {
		want := &fr.Diagnoses[i]
		for j, d := range doc.Diagnoses {
			if !matched[j] && d.Pattern == want.Pattern && slices.Equal(sortedCopy(d.Hosts), want.Hosts) && strings.Contains(d.Cause, want.Says) {
				matched[j], want.Found, want.Got = true, true, d.Cause
				break
			}
		}
	}
	var found []string
	for j, d := range doc.Diagnoses {
		found = append(found, fmt.Sprintf("%s [%s]", d.Pattern, strings.Join(d.Hosts, ", ")))
		if !matched[j] {
			fr.Unexpected = append(fr.Unexpected, fmt.Sprintf("%s [%s]: %s", d.Pattern, strings.Join(d.Hosts, ", "), d.Cause))
		}
	}
	for i := range fr.Diagnoses {
		if !fr.Diagnoses[i].Found {
			fr.Diagnoses[i].Got = "found instead: " + orNothing(found)
		}
	}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func orNothing(s []string) string {
	if len(s) == 0 {
		return "no diagnosis"
	}
	return strings.Join(s, "; ")
}

// forgetNeighbours empties the ARP caches of the lab's containers on every
// host, once the faults have taken effect: each probe then starts as a new
// conversation does, whatever the containers said to each other before. A
// container that already talks to a peer keeps its MAC, and where a fault
// removes only what Docker tells new conversations (gossip's neighbour
// entries), the outcome would hang on the lab's history.
func (r *Runner) forgetNeighbours(ctx context.Context, c *cluster.Cluster, l *lab.Lab) error {
	return c.Each(ctx, cluster.CollectAll, func(ctx context.Context, n *cluster.Node) error {
		api := n.Docker()
		list, err := api.ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(filters.Arg("label", lab.LabelSelector(l.Name)))})
		if err != nil {
			return fmt.Errorf("%s: listing the lab's containers: %w", n.Name(), err)
		}
		var script strings.Builder
		for _, ct := range list {
			ci, err := api.ContainerInspect(ctx, ct.ID)
			if err != nil || ci.State == nil || ci.State.Pid == 0 {
				continue
			}
			fmt.Fprintf(&script, "nsenter -t %d -n ip neigh flush all\n", ci.State.Pid)
		}
		if script.Len() == 0 {
			return nil
		}
		if _, err := hostcmd.RunRoot(ctx, n, script.String()); err != nil {
			return fmt.Errorf("%s: emptying the lab's containers' ARP caches: %w", n.Name(), err)
		}
		return nil
	})
}
