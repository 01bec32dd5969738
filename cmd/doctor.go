package cmd

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/doctor"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/output"
	"github.com/overlab/overlab/report"
	"github.com/overlab/overlab/results"
	"github.com/overlab/overlab/runner"
	"github.com/overlab/overlab/session"
)

type doctorFlags struct {
	lab         string
	format      string
	hosts       []string
	checks      []string
	probeBinary string
}

func newDoctorCommand(g *Globals) *cobra.Command {
	f := &doctorFlags{}
	c := &cobra.Command{
		Use:   "doctor",
		Short: "Preflight: ports, path MTU, kernel, engine, clocks and addresses between the hosts; exit 0 good, 1 a problem, 2 could not run",
		Long: "Tests for real, without a swarm, what Docker multi-host networking needs: 2377/tcp (to managers),\n" +
			"7946/tcp+udp and 4789/udp between every ordered pair (reachable, refused or filtered), the path MTU,\n" +
			"and per host the kernel features, engine, clock skew, lab address, FORWARD policy and free address space.\n" +
			"It copies overlab's probe program (of each host's architecture) to /tmp on each host for the listeners and removes it afterwards.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDoctor(cmd, g, f)
		},
	}
	c.Flags().StringVar(&f.lab, "lab", lab.DefaultLab, "lab whose planned subnets must be free (built-in name or file)")
	output.AddFormatFlag(c.Flags(), &f.format)
	c.Flags().StringSliceVar(&f.hosts, "hosts", nil, "only these hosts and the pairs they are in")
	c.Flags().StringSliceVar(&f.checks, "checks", nil, "only these checks: ports, firewall, path-mtu, kernel-features, engine, clock, lab-address, forward-policy, address-space")
	c.Flags().StringVar(&f.probeBinary, "probe-binary", "", "probe program to copy to the hosts, static, of their architecture (default: overlab's own probe for each host's architecture)")
	return c
}

func runDoctor(cmd *cobra.Command, g *Globals, f *doctorFlags) error {
	if err := output.CheckFormat(f.format); err != nil {
		return couldNotRun(err)
	}
	l, err := lab.Resolve(f.lab)
	if err != nil {
		return couldNotRun(err)
	}
	ctx := cmd.Context()
	s, err := g.open(ctx, session.ReportsDown())
	if err != nil {
		return err
	}
	defer s.Close()
	hosts := s.Hosts
	rep := doctor.Run(ctx, s.Cluster, hosts,
		doctor.WithLogger(g.Logger()),
		doctor.WithBinary(f.probeBinary),
		doctor.WithHosts(f.hosts...),
		doctor.WithChecks(f.checks...),
		doctor.WithAddressPlan(func(facts map[string]*cluster.Facts) []results.Finding { return runner.PlanFindings(l, hosts, facts) }),
	)
	out := cmd.OutOrStdout()
	if err := output.Print(out, f.format, rep, func(w io.Writer) error { return report.DoctorTable(w, rep) }); err != nil {
		return err
	}
	switch rep.ExitCode() {
	case 1:
		return notAsExpected(nil)
	case 2:
		return couldNotRunf("doctor could not run %d checks (marked ?)", rep.Summary.Errors)
	}
	return nil
}
