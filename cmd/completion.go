package cmd

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/runs"
)

// addCompletions teaches shell completion overlab's own words: lab names,
// run IDs, formats and the inventory's host names. It follows the command
// tree's conventions (a NAME|FILE, RUN or NODE argument, a --lab, --format,
// --hosts or --from flag), so a new command that follows them completes too.
func addCompletions(c *cobra.Command, g *Globals) {
	if f := c.Flags().Lookup("format"); f != nil {
		formats := strings.Split(strings.Fields(f.Usage)[2], "|") // "output format: table|json|yaml"
		_ = c.RegisterFlagCompletionFunc("format", fixed(formats...))
	}
	if c.Flags().Lookup("lab") != nil {
		_ = c.RegisterFlagCompletionFunc("lab", labNames)
	}
	for _, name := range []string{"hosts", "from"} {
		if c.Flags().Lookup(name) != nil {
			_ = c.RegisterFlagCompletionFunc(name, g.hostNames)
		}
	}
	if c.ValidArgsFunction == nil {
		switch args := strings.Fields(c.Use); {
		case len(args) < 2:
		case args[1] == "NAME|FILE":
			c.ValidArgsFunction = firstArg(labNames)
		case strings.Trim(args[1], "[]") == "RUN" || strings.HasPrefix(args[1], "RUN_"):
			c.ValidArgsFunction = runIDs
		case strings.Trim(args[1], "[]") == "NODE":
			c.ValidArgsFunction = firstArg(g.hostNames)
		}
	}
	for _, sub := range c.Commands() {
		addCompletions(sub, g)
	}
}

type completer = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective)

func fixed(words ...string) completer {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return words, cobra.ShellCompDirectiveNoFileComp
	}
}

// firstArg completes only the first positional argument.
func firstArg(fn completer) completer {
	return func(c *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return fn(c, args, prefix)
	}
}

// labNames are the built-in labs; files complete too (a lab may be a file).
func labNames(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return lab.Names(), cobra.ShellCompDirectiveDefault
}

// runIDs are the stored runs under --results, newest first.
func runIDs(c *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	dir, _ := c.Flags().GetString("results")
	rs, _ := runs.List(runs.ResolveDir(dir))
	ids := make([]string, 0, len(rs))
	for i := len(rs) - 1; i >= 0; i-- {
		ids = append(ids, rs[i].ID)
	}
	return ids, cobra.ShellCompDirectiveDefault // a results file of any name too
}

// hostNames are the inventory's hosts, read without validating or resolving
// it: completion must be quick and must not ask DNS or SSH.
func (g *Globals) hostNames(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	inv, err := inventory.Load(inventory.PathOr(g.Inventory))
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := make([]string, len(inv.Hosts))
	for i, h := range inv.Hosts {
		names[i] = h.Name
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}
