package cmd

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/overlab/overlab/addrplan"
	"github.com/overlab/overlab/fanout"
	"github.com/overlab/overlab/report/graph"
)

func TestParallelBoundsEveryFanOutThroughTheContext(t *testing.T) {
	var out bytes.Buffer
	root := NewRoot(Streams{In: strings.NewReader(""), Out: &out, ErrOut: &out})
	got := 0
	root.AddCommand(&cobra.Command{Use: "probe-limit", RunE: func(cmd *cobra.Command, _ []string) error {
		got = fanout.Limit(cmd.Context())
		return nil
	}})
	root.SetArgs([]string{"probe-limit", "--parallel", "3"})
	if err := root.Execute(); err != nil || got != 3 {
		t.Fatalf("limit %d (err %v), want 3 from --parallel", got, err)
	}
	if code := Execute([]string{"hosts", "--parallel", "0"}, Streams{In: strings.NewReader(""), Out: &out, ErrOut: &out}); code != 2 {
		t.Fatalf("--parallel 0: exit %d, want 2", code)
	}
}

// Every command that prints data offers the same three formats, table first.
// What some add after them is one of a few known renderings, and a command
// that draws offers every picture format, in one order, and -o FILE.
func TestEveryFormatFlagOffersTableJSONYAML(t *testing.T) {
	var walk func(c *cobra.Command)
	seen, drawing := 0, 0
	extras := map[string]bool{"html": true, "junit": true}
	walk = func(c *cobra.Command) {
		if f := c.Flags().Lookup("format"); f != nil {
			seen++
			usage, ok := strings.CutPrefix(f.Usage, "output format: table|json|yaml")
			if f.DefValue != "table" || !ok {
				t.Errorf("%s --format: default %q, %q; want table|json|yaml", c.CommandPath(), f.DefValue, f.Usage)
			}
			pictures := "|" + strings.Join(graph.Formats, "|")
			if strings.Contains(usage, pictures) {
				drawing++
				usage = strings.Replace(usage, pictures, "", 1)
				if o := c.Flags().Lookup("output"); o == nil || o.Shorthand != "o" {
					t.Errorf("%s draws (--format %s) but has no -o/--output FILE", c.CommandPath(), strings.Join(graph.Formats, "|"))
				}
			}
			for _, x := range strings.Split(strings.TrimPrefix(usage, "|"), "|") {
				if x != "" && !extras[x] {
					t.Errorf("%s --format %s: not a known rendering (html, junit, or all of %s)", c.CommandPath(), x, strings.Join(graph.Formats, "|"))
				}
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRoot(Streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}))
	if seen < 10 || drawing < 2 {
		t.Fatalf("only %d commands with --format, %d that draw (explain, lab show)", seen, drawing)
	}
}

// A backquoted word in a flag's usage becomes its placeholder: it must be one
// word (not "--lab overlab lab list").
func TestFlagPlaceholdersAreOneWord(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if name, _ := pflag.UnquoteUsage(f); strings.Contains(name, " ") {
				t.Errorf("%s --%s: placeholder %q", c.CommandPath(), f.Name, name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	root := NewRoot(Streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	walk(root)
	check, _, err := root.Find([]string{"check"})
	if err != nil || !strings.Contains(check.Flags().FlagUsages(), "--lab NAME|FILE") {
		t.Errorf("check --lab usage: %v\n%s", err, check.Flags().FlagUsages())
	}
}

// The address plan's advice names only flags that up, check and lab run have.
func TestAddressPlanHintNamesRealFlags(t *testing.T) {
	root := NewRoot(Streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	for _, flag := range regexp.MustCompile(`--([a-z][a-z-]*)`).FindAllStringSubmatch(addrplan.DefaultHint, -1) {
		for _, path := range [][]string{{"up"}, {"check"}, {"lab", "run"}} {
			c, _, err := root.Find(path)
			if err != nil || c.Flags().Lookup(flag[1]) == nil {
				t.Errorf("the hint %q suggests --%s, which overlab %s lacks", addrplan.DefaultHint, flag[1], strings.Join(path, " "))
			}
		}
	}
}

func TestHostsRejectsUnknownFormat(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Execute([]string{"hosts", "--format", "xml", "-i", "/nonexistent.yaml"}, Streams{Out: &out, ErrOut: &errOut})
	if code != 2 || !bytes.Contains(errOut.Bytes(), []byte(`--format "xml"`)) {
		t.Errorf("code %d, stderr %q", code, errOut.String())
	}
}
