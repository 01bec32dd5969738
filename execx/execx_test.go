package execx

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestCommandErrorCarriesCommandExitCodeAndOutputTail(t *testing.T) {
	_, err := Output(context.Background(), "sh", "-c", "echo first; echo last >&2; exit 3")
	var ce *CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("want *CommandError, got %T %v", err, err)
	}
	if ce.ExitCode != 3 || ExitCode(err) != 3 {
		t.Errorf("exit code %d / %d, want 3", ce.ExitCode, ExitCode(err))
	}
	ce.Host = "node1"
	want := `node1: command "sh -c echo first; echo last >&2; exit 3" exited with code 3: first` + "\nlast"
	if ce.Error() != want {
		t.Errorf("got %q\nwant %q", ce.Error(), want)
	}
}

func TestCommandErrorThatDidNotRunSaysWhy(t *testing.T) {
	err := Run(context.Background(), "/nonexistent/overlab-test-binary")
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != -1 || !strings.Contains(err.Error(), "failed: ") {
		t.Fatalf("got %v, want a CommandError with exit code -1 and the cause", err)
	}
}

func TestTailKeepsTheLastLines(t *testing.T) {
	if got := Tail("a\nb\nc\n", 2); got != "b\nc" {
		t.Fatalf("got %q", got)
	}
}
