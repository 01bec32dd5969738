package cmd

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/probeimage"
)

// newProbeProgramCommand writes the probe program that overlab loads onto
// hosts of an architecture (embedded, itself, or built and cached): to see
// what a plain `go install` does for an arm64 host, or to hand a probe to
// `doctor --probe-binary` elsewhere.
func newProbeProgramCommand(g *Globals) *cobra.Command {
	var arch, out string
	c := &cobra.Command{
		Use:    "probe-program --arch ARCH -o FILE",
		Short:  "Write the probe program overlab loads onto hosts of ARCH (amd64, arm64, or uname -m's name)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return couldNotRunf("-o FILE: where to write the probe program")
			}
			prog, err := probeimage.ProgramFor(cmd.Context(), arch, probeimage.WithLogger(g.Logger()))
			if err != nil {
				return couldNotRun(err)
			}
			if err := writeProgram(prog, out); err != nil {
				return couldNotRun(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: linux/%s probe (%s)\n", out, prog.Info.Arch, prog.Origin)
			return nil
		},
	}
	c.Flags().StringVar(&arch, "arch", "", "the hosts' architecture (default: this machine's)")
	c.Flags().StringVarP(&out, "output", "o", "", "the file to write")
	return c
}

func writeProgram(prog probeimage.Program, path string) error {
	in, err := prog.Open()
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, in); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
