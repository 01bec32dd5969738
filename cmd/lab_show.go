package cmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/engines"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/output"
	"github.com/overlab/overlab/report"
	"github.com/overlab/overlab/report/graph"
)

type labShowOptions struct {
	format   string
	commands bool
	image    string
	engine   string
	out      string
}

func newLabShowCommand(g *Globals) *cobra.Command {
	o := labShowOptions{}
	c := &cobra.Command{
		Use:   "show NAME|FILE",
		Short: "Show a lab: its networks, workloads and expectations, or the docker commands that do it by hand",
		Long: "Show a built-in lab or a lab file. With --commands, print for each step and each expectation the plain\n" +
			"docker CLI commands to type, host by host, to build and check the lab by hand. With -i they use the\n" +
			"inventory's hosts; without, three example hosts node1..node3 at 192.168.56.11-13.\n" +
			"--format svg|dot|mermaid draws the lab on those hosts: what runs where, the networks, the published ports.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLabShow(cmd, g, o, args[0])
		},
	}
	output.AddFormatFlag(c.Flags(), &o.format, pictureFormats...)
	addOutputFlag(c, &o.out)
	c.Flags().BoolVar(&o.commands, "commands", false, "print the docker commands that build and check the lab by hand")
	c.Flags().StringVar(&o.image, "probe-image", "overlab-probe:latest", "probe image named in --commands")
	c.Flags().StringVar(&o.engine, "engine", "", "with --commands or a picture, the hosts' engine version (28.5, 20.10): the rows, workloads and routes for that generation (default: every row, each with its range)")
	return c
}

func runLabShow(cmd *cobra.Command, g *Globals, o labShowOptions, name string) error {
	if err := output.CheckFormat(o.format, pictureFormats...); err != nil {
		return couldNotRun(err)
	}
	if graph.IsFormat(o.format) && o.commands {
		return couldNotRunf("--commands prints text: it has no --format %s", o.format)
	}
	l, err := lab.Resolve(name)
	if err != nil {
		return couldNotRun(err)
	}
	if err := writeTo(cmd.OutOrStdout(), o.out, func(out io.Writer) error { return showLab(out, g, o, l) }); err != nil {
		return couldNotRun(err)
	}
	return nil
}

// drawLab draws the lab on the inventory's hosts, or the example hosts.
func drawLab(out io.Writer, g *Globals, o labShowOptions, l *lab.Lab) error {
	bp, fromInventory, err := compileShown(g, o, l)
	if err != nil {
		return err
	}
	return graph.Write(out, report.LabGraph(bp, !fromInventory), o.format)
}

// showLab prints the lab in the format asked for.
func showLab(out io.Writer, g *Globals, o labShowOptions, l *lab.Lab) error {
	if graph.IsFormat(o.format) {
		return drawLab(out, g, o, l)
	}
	if !o.commands {
		switch o.format {
		case "yaml":
			enc := yaml.NewEncoder(out)
			enc.SetIndent(2)
			defer enc.Close()
			return enc.Encode(l)
		case "json":
			return output.WriteJSON(out, l)
		}
		return report.Lab(out, l)
	}
	return showCommands(out, g, o, l)
}

// compileShown compiles the lab on the inventory's hosts (or the example
// hosts) for the engine generation asked for.
func compileShown(g *Globals, o labShowOptions, l *lab.Lab) (*blueprint.Blueprint, bool, error) {
	hosts, fromInventory, err := labHosts(g)
	if err != nil {
		return nil, false, err
	}
	opts, err := engineOption(o.engine, hosts)
	if err != nil {
		return nil, false, err
	}
	bp, err := blueprint.Compile(l, hosts, append(opts, blueprint.WithImage(o.image))...)
	return bp, fromInventory, err
}

// showCommands prints the docker commands that build and check the lab by hand.
func showCommands(out io.Writer, g *Globals, o labShowOptions, l *lab.Lab) error {
	bp, fromInventory, err := compileShown(g, o, l)
	if err != nil {
		return err
	}
	plan, steps := bp.Plan, bp.Walkthrough()
	switch o.format {
	case "json", "yaml":
		doc := struct {
			Lab       string           `json:"lab" yaml:"lab"`
			Hosts     []blueprint.Host `json:"hosts" yaml:"hosts"`
			Example   bool             `json:"example_hosts" yaml:"example_hosts"`
			Conflicts []string         `json:"conflicts,omitempty" yaml:"conflicts,omitempty"`
			Steps     []blueprint.Step `json:"steps" yaml:"steps"`
		}{Lab: l.Name, Hosts: bp.Hosts, Example: !fromInventory, Steps: steps}
		for _, c := range plan.Conflicts {
			doc.Conflicts = append(doc.Conflicts, c.Message)
		}
		if o.format == "json" {
			return output.WriteJSON(out, doc)
		}
		enc := yaml.NewEncoder(out)
		enc.SetIndent(2)
		defer enc.Close()
		return enc.Encode(doc)
	}
	if fromInventory {
		fmt.Fprintf(out, "# Lab %s by hand on the inventory's hosts. Subnets assume Docker's defaults on them\n# (docker0 172.17.0.0/16); `overlab lab run` plans with each host's real facts.\n", l.Name)
	} else {
		fmt.Fprintf(out, "# Lab %s by hand, on example hosts node1, node2, node3 at 192.168.56.11-13\n# (no inventory given: pass -i FILE for your own hosts' names and addresses).\n", l.Name)
	}
	for _, c := range plan.Conflicts {
		fmt.Fprintf(out, "# WARNING: %s\n", c.Message)
	}
	fmt.Fprintln(out)
	return report.Walkthrough(out, steps)
}

// engineOption gives every host the engine version --engine names.
func engineOption(version string, hosts []blueprint.Host) ([]blueprint.Option, error) {
	if version == "" {
		return nil, nil
	}
	if _, err := engines.ParseVersion(version); err != nil {
		return nil, fmt.Errorf("--engine: %w", err)
	}
	m := map[string]string{}
	for _, h := range hosts {
		m[h.Name] = version
	}
	return []blueprint.Option{blueprint.WithEngines(m)}, nil
}

// labHosts is the inventory's hosts when -i is given, else the example hosts.
func labHosts(g *Globals) (hosts []blueprint.Host, fromInventory bool, err error) {
	if g.Inventory == "" {
		return blueprint.ExampleHosts(), false, nil
	}
	s, err := g.loadInventory()
	if err != nil {
		return nil, false, err
	}
	return blueprint.FromInventory(s.Hosts), true, nil
}
