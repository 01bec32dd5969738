package cmd

import (
	"bytes"
	"strings"
	"testing"
)

// On systems without the local provider, every `overlab local ...` gets
// one line that names Linux and `overlab vagrant up`, and exit code 2,
// however it is spelled.
func TestNeedsLinuxCommandSaysOneLine(t *testing.T) {
	for _, args := range [][]string{nil, {"up", "--hosts", "3"}, {"down", "--name", "x"}, {"status"}, {"--help"}} {
		c := needsLinuxCommand()
		var out, errOut bytes.Buffer
		c.SetOut(&out)
		c.SetErr(&errOut)
		c.SetArgs(args)
		c.SilenceErrors, c.SilenceUsage = true, true
		err := c.Execute()
		if exitCode(err) != exitCouldNotRun {
			t.Errorf("local %v: exit %d (%v), want %d", args, exitCode(err), err, exitCouldNotRun)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || !strings.Contains(msg, "needs Linux") || !strings.Contains(msg, "overlab vagrant up") {
			t.Errorf("local %v: %q is not one line naming Linux and `overlab vagrant up`", args, msg)
		}
		if out.Len() != 0 {
			t.Errorf("local %v printed %q besides the error", args, out.String())
		}
	}
}
