package cmd

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/probe"
)

// newProbeCommand is the program inside the probe containers; people do not
// call it, so it is hidden.
func newProbeCommand(g *Globals) *cobra.Command {
	c := &cobra.Command{
		Use:    "probe",
		Short:  "The probe that runs inside the lab's containers",
		Hidden: true,
	}
	c.AddCommand(newProbeServeCommand(g), newProbeRunCommand(g))
	return c
}

type probeServeOptions struct {
	tcpPort   int
	udpPort   int
	httpPorts []int
	listen    string
}

func newProbeServeCommand(g *Globals) *cobra.Command {
	o := probeServeOptions{}
	c := &cobra.Command{
		Use:   "serve",
		Short: "Answer on TCP (banner, echo), UDP and HTTP until SIGTERM",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runProbeServe(cmd, g, o)
		},
	}
	f := c.Flags()
	f.IntVar(&o.tcpPort, "tcp-port", probe.DefaultTCPPort, "TCP port: greets with \"overlab-probe <hostname>\" then echoes (-1: off)")
	f.IntVar(&o.udpPort, "udp-port", probe.DefaultUDPPort, "UDP port: answers every datagram with \"overlab-probe <hostname>\" (-1: off)")
	f.IntSliceVar(&o.httpPorts, "http-port", []int{probe.DefaultHTTPPort}, "HTTP port(s), repeatable or comma-separated (-1: off)")
	f.StringVar(&o.listen, "listen", "", "address to listen on (default: every address)")
	return c
}

func runProbeServe(cmd *cobra.Command, g *Globals, o probeServeOptions) error {
	return probe.Serve(cmd.Context(), probe.ServeConfig{
		TCPPort:       o.tcpPort,
		UDPPort:       o.udpPort,
		HTTPPorts:     o.httpPorts,
		ListenAddress: o.listen,
		Logger:        g.Logger(),
	})
}

type probeRunOptions struct {
	targets     string
	timeout     time.Duration
	tries       int
	concurrency int
	indent      bool
}

func newProbeRunCommand(g *Globals) *cobra.Command {
	o := probeRunOptions{}
	c := &cobra.Command{
		Use:   "run",
		Short: "Reach the targets given as JSON on stdin; print the results as JSON",
		Long: `Reads a JSON request on stdin (or --targets): {"targets": [...], "timeout_ms": 2000, "tries": 3}
or a bare array of targets, each {"id", "kind": "icmp|tcp|udp|dns|http", "address", "port", "name", "url", "probe"}.
Reaches every target concurrently and prints one JSON report with a result per target.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runProbeRun(cmd, g, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.targets, "targets", "", "the request as JSON instead of stdin")
	f.DurationVar(&o.timeout, "timeout", 0, "deadline per target across its tries (default 2s, or the request's timeout_ms)")
	f.IntVar(&o.tries, "tries", 0, "tries per target (default 3, or the request's tries)")
	f.IntVar(&o.concurrency, "concurrency", 0, "targets in flight at once (default 64)")
	f.BoolVar(&o.indent, "indent", false, "indent the JSON for people")
	return c
}

func runProbeRun(cmd *cobra.Command, g *Globals, o probeRunOptions) error {
	in := cmd.InOrStdin()
	if o.targets != "" {
		in = strings.NewReader(o.targets)
	}
	req, err := probe.DecodeRequest(in)
	if err != nil {
		return couldNotRun(err)
	}
	// Flags win over the request, so that a person can re-run a check's
	// request by hand with a longer deadline.
	rep := probe.Execute(cmd.Context(), req, probe.WithTimeout(o.timeout), probe.WithTries(o.tries), probe.WithConcurrency(o.concurrency))
	enc := json.NewEncoder(cmd.OutOrStdout())
	if o.indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	g.Logger().V(1).Infof("%d targets in %.1f ms", len(rep.Results), rep.DurationMS)
	return nil
}
