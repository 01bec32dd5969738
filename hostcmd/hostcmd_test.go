package hostcmd

import (
	"os/exec"
	"testing"
)

func TestRootQuotesForSh(t *testing.T) {
	script := `printf '%s|' "it's" a\ b`
	out, err := exec.Command("sh", "-c", Root(script)).Output()
	if err != nil {
		t.Fatalf("sh (as root or through sudo -n): %v", err)
	}
	if string(out) != "it's|a b|" {
		t.Errorf("got %q", out)
	}
}
