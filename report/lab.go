package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/netdriver"
)

// Lab prints a lab for a reader: what it teaches, then each part.
func Lab(w io.Writer, l *lab.Lab) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Lab %s (%s)\n", l.Name, l.Source)
	if d := strings.TrimSpace(l.Description); d != "" {
		b.WriteString("\n")
		for _, line := range strings.Split(d, "\n") {
			b.WriteString("  " + line + "\n")
		}
	}
	b.WriteString("\nNetworks:\n")
	for _, n := range l.Networks {
		fmt.Fprintf(&b, "  %-20s %s\n", n.Name, strings.Join(networkAttrs(n), ", "))
	}
	b.WriteString("\nWorkloads:\n")
	for _, wl := range l.Workloads {
		b.WriteString(workloadLine(wl) + "\n")
	}
	writeRoutes(&b, l)
	labExpectations(&b, l)
	writeNotes(&b, l)
	labFaults(&b, l)
	_, err := io.WriteString(w, b.String())
	return err
}

// labExpectations lists the rows, each with its note.
func labExpectations(b *strings.Builder, l *lab.Lab) {
	b.WriteString("\nExpectations:\n")
	for i, e := range l.Expect {
		writeExpectation(b, l, i, e)
	}
}

// labFaults says a fault lab's faults and the diagnoses it expects.
func labFaults(b *strings.Builder, l *lab.Lab) {
	if len(l.Faults) == 0 {
		return
	}
	b.WriteString("\nFaults (made after up, for the check; healed after it):\n")
	for i, f := range l.Faults {
		what := map[bool]string{true: "cut its lab link"}[f.Cut]
		switch {
		case f.Block != "":
			what = "block " + f.Block
			if f.From != "" {
				what += " from " + f.From
			}
		case f.MTU != 0:
			what = fmt.Sprintf("MTU %d on its lab interface", f.MTU)
		case f.Delay != "":
			what = "delay " + f.Delay + " (tc netem)"
		case f.Loss != 0:
			what = fmt.Sprintf("lose %g%% (tc netem)", f.Loss)
		}
		if f.Wait != "" {
			what += ", then wait " + f.Wait
		}
		fmt.Fprintf(b, "  %d. %s: %s\n", i+1, f.Host, what)
		for _, line := range Wrap(f.Note, 72) {
			b.WriteString("       " + line + "\n")
		}
	}
	b.WriteString("\nExpected diagnoses:\n")
	for _, d := range l.ExpectDiagnoses {
		fmt.Fprintf(b, "  %s [%s]", d.Pattern, strings.Join(d.Hosts, ", "))
		if d.Says != "" {
			fmt.Fprintf(b, " saying %q", d.Says)
		}
		b.WriteString("\n")
		for _, line := range Wrap(d.Note, 72) {
			b.WriteString("       " + line + "\n")
		}
	}
}

func networkAttrs(n lab.Network) []string {
	attrs := []string{n.Driver, n.Scope}
	for _, a := range []struct {
		on   bool
		word string
	}{{n.Default, "Docker's own"}, {n.Attachable, "attachable"}, {n.Encrypted, "encrypted"}, {n.Internal, "internal"}} {
		if a.on {
			attrs = append(attrs, a.word)
		}
	}
	switch {
	case !n.HasIPv4():
		attrs = append(attrs, "no IPv4")
	case n.Subnet != "":
		attrs = append(attrs, "subnet "+n.Subnet)
	case netdriver.Of(n.Driver).Traits().Underlay:
		attrs = append(attrs, "subnet: the underlay's")
	case !n.Default:
		attrs = append(attrs, "subnet: chosen free")
	}
	return append(attrs, familyAttrs(n)...)
}

func workloadLine(wl lab.Workload) string {
	kind := wl.Kind
	if wl.Kind == lab.KindService {
		kind += " " + wl.Mode
		if wl.Mode == lab.ModeReplicate {
			kind += fmt.Sprintf(" x%d", wl.Replicas)
		}
	}
	where := "every host"
	if len(wl.Placement.Hosts)+len(wl.Placement.Roles) > 0 {
		where = strings.Join(append(append([]string{}, wl.Placement.Hosts...), wl.Placement.Roles...), ", ")
	}
	if wl.Placement.Engines != "" {
		where += " with engines " + wl.Placement.Engines
	}
	var nets []string
	for _, a := range wl.Networks {
		s := a.Network
		if a.IP != "" {
			s += " (" + a.IP + ")"
		}
		nets = append(nets, s)
	}
	line := fmt.Sprintf("  %-20s %s on %s; networks: %s", wl.Name, kind, where, strings.Join(nets, ", "))
	for _, p := range wl.Ports {
		on := "on each host's lab address"
		if p.Bind == lab.BindAll {
			on = "on every address of each host"
		}
		line += fmt.Sprintf("; publishes %d->%d/%s %s", p.Published, p.Target, p.Protocol, on)
	}
	return line
}

func writeExpectation(b *strings.Builder, l *lab.Lab, i int, e lab.Expectation) {
	exp := "reachable"
	if !e.Reachable {
		exp = "unreachable"
	}
	from := e.From.Workload
	if e.From.Host != "" {
		from += "@" + e.From.Host
	}
	if e.UnderFaults {
		exp += ", under the faults"
	}
	fmt.Fprintf(b, "  #%d %s -> %s on %s by %s%s: %s%s\n", i+1, from, e.To.String(), l.ExpectNetwork(&e), strings.Join(e.Kinds, ", "), familiesText(l, &e), exp, enginesText(e.Engines))
	for _, line := range Wrap(e.Note, 72) {
		b.WriteString("       " + line + "\n")
	}
}
