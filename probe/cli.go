package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/overlab/overlab/log"
)

// Streams are a command's standard streams.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// Usage of the probe program: `overlab probe ...` and the dedicated
// overlab-probe binary take the same arguments.
const usage = `usage: probe serve [--tcp-port N] [--udp-port N] [--http-port N,...] [--listen ADDR] [--token-dir DIR] [--open] [-v]
       probe run [--targets JSON] [--timeout D] [--tries N] [--concurrency N] [--token-dir DIR] [--indent] [-v]
       probe pmtu --address HOST:PORT [--max N] [--tries N] [--wait D] [--token-dir DIR] [--token-id ID]
       probe auth [--token-dir DIR]

serve  answers on TCP (banner, echo), UDP and HTTP until SIGTERM, only the
       requests proven with a token installed in --token-dir (--open: anyone)
run    reaches the targets given as JSON on stdin (or --targets):
       {"targets": [...], "timeout_ms": 2000, "tries": 3, "token_id": ID} or a
       bare array of targets, each {"id", "kind": "icmp|tcp|udp|dns|http",
       "address", "port", "name", "url", "probe", "auth"}; prints one JSON
       report with a result per target
pmtu   largest don't-fragment UDP packet that reaches a probe's UDP echo;
       prints {"mtu": N} (and "error" when even the smallest got no reply)
auth   installs a run's token, read as {"token": HEX, "ttl_ms": N} on stdin
       (never an argument), in --token-dir; prints nothing
`

// Main runs the probe program with args (after "probe") and returns its
// exit code: 0 done, 2 bad usage or request, 1 anything else.
func Main(ctx context.Context, args []string, s Streams) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(s.Err, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var err error
	switch args[0] {
	case "serve":
		err = mainServe(ctx, args[1:], s)
	case "run":
		err = mainRun(ctx, args[1:], s)
	case "pmtu":
		err = mainPMTU(ctx, args[1:], s)
	case "auth":
		err = mainAuth(args[1:], s)
	default:
		err = usageError(fmt.Errorf("unknown command %q: want serve, run, pmtu or auth", args[0]))
	}
	var ue *usageErr
	switch {
	case err == nil:
		return 0
	case errors.Is(err, pflag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(s.Err, "probe: %v\n", ue.err)
		return 2
	default:
		fmt.Fprintf(s.Err, "probe: %v\n", err)
		return 1
	}
}

type usageErr struct{ err error }

func (e *usageErr) Error() string { return e.err.Error() }

func usageError(err error) error { return &usageErr{err} }

func flagSet(name string, s Streams) *pflag.FlagSet {
	fs := pflag.NewFlagSet("probe "+name, pflag.ContinueOnError)
	fs.SetOutput(s.Err)
	return fs
}

func mainServe(ctx context.Context, args []string, s Streams) error {
	cfg := ServeConfig{}
	fs := flagSet("serve", s)
	fs.IntVar(&cfg.TCPPort, "tcp-port", DefaultTCPPort, "TCP port: greets with \"overlab-probe <hostname>\" then echoes (-1: off)")
	fs.IntVar(&cfg.UDPPort, "udp-port", DefaultUDPPort, "UDP port: answers every datagram with \"overlab-probe <hostname>\" (-1: off)")
	fs.IntSliceVar(&cfg.HTTPPorts, "http-port", []int{DefaultHTTPPort}, "HTTP port(s), repeatable or comma-separated (-1: off)")
	fs.StringVar(&cfg.ListenAddress, "listen", "", "address to listen on (default: every address)")
	fs.StringVar(&cfg.TokenDir, "token-dir", DefaultTokenDir, "directory of the installed tokens whose proofs are answered")
	fs.BoolVar(&cfg.Open, "open", false, "also answer requests without a proof (a probe started by hand); UDP replies stay no larger than the request")
	verbose := fs.CountP("verbose", "v", "more detail")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg.Logger = log.New(s.Err, *verbose, log.WithTimestamps(true))
	return Serve(ctx, cfg)
}

func mainRun(ctx context.Context, args []string, s Streams) error {
	fs := flagSet("run", s)
	targets := fs.String("targets", "", "the request as JSON instead of stdin")
	timeout := fs.Duration("timeout", 0, "deadline per target across its tries (default 2s, or the request's timeout_ms)")
	tries := fs.Int("tries", 0, "tries per target (default 3, or the request's tries)")
	concurrency := fs.Int("concurrency", 0, "targets in flight at once (default 64)")
	indent := fs.Bool("indent", false, "indent the JSON for people")
	tokenDir := fs.String("token-dir", DefaultTokenDir, "directory of the installed tokens (the request's token_id, else the last installed)")
	verbose := fs.CountP("verbose", "v", "more detail")
	if err := parse(fs, args); err != nil {
		return err
	}
	in := s.In
	if *targets != "" {
		in = strings.NewReader(*targets)
	}
	req, err := DecodeRequest(in)
	if err != nil {
		return usageError(err)
	}
	tok, err := LoadToken(*tokenDir, req.TokenID)
	if err != nil {
		return err
	}
	// Flags win over the request, so that a person can re-run a check's
	// request by hand with a longer deadline.
	rep := Execute(ctx, req, WithTimeout(*timeout), WithTries(*tries), WithConcurrency(*concurrency), WithToken(tok))
	enc := json.NewEncoder(s.Out)
	if *indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	log.New(s.Err, *verbose).V(1).Infof("%d targets in %.1f ms", len(rep.Results), rep.DurationMS)
	return nil
}

func mainPMTU(ctx context.Context, args []string, s Streams) error {
	fs := flagSet("pmtu", s)
	addr := fs.String("address", "", "HOST:PORT of a probe's UDP echo")
	max := fs.Int("max", 1500, "largest packet to try (the local interface's MTU)")
	tries := fs.Int("tries", 2, "datagrams per size")
	wait := fs.Duration("wait", 300*time.Millisecond, "wait for each reply")
	tokenDir := fs.String("token-dir", DefaultTokenDir, "directory of the installed tokens")
	tokenID := fs.String("token-id", "", "the token that proves the datagrams (default: the last installed)")
	if err := parse(fs, args); err != nil {
		return err
	}
	tok, err := LoadToken(*tokenDir, *tokenID)
	if err != nil {
		return err
	}
	mtu, err := PathMTU(ctx, *addr, *max, *tries, *wait, tok)
	out := map[string]any{"mtu": mtu}
	if err != nil {
		out["error"] = err.Error()
	}
	return json.NewEncoder(s.Out).Encode(out)
}

// mainAuth installs the token on stdin: a check runs it in each probe
// container before probing, so the token is in no argument, environment
// or label (docker inspect shows none of it).
func mainAuth(args []string, s Streams) error {
	fs := flagSet("auth", s)
	dir := fs.String("token-dir", DefaultTokenDir, "directory of the installed tokens")
	if err := parse(fs, args); err != nil {
		return err
	}
	tok, ttl, err := readInstallRequest(s.In)
	if err != nil {
		return usageError(err)
	}
	return InstallToken(*dir, tok, ttl)
}

func parse(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageError(err)
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	return nil
}
