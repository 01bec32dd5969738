package shellquote

import (
	"os/exec"
	"testing"
)

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"eth0":               "eth0",
		"":                   "''",
		"a;id>pw1":           "'a;id>pw1'",
		"it's":               `'it'\''s'`,
		"{{.Node.Hostname}}": "'{{.Node.Hostname}}'",
		"$(reboot)":          "'$(reboot)'",
		"a b":                "'a b'",
		"192.168.56.0/24":    "192.168.56.0/24",
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

// sh itself splits a joined line back into exactly the arguments.
func TestJoinRoundTripsThroughSh(t *testing.T) {
	args := []string{"a;id>pw1", "it's", "", "$(x)`y`", "tab\there", "new\nline", "*?[!]", "~root", "#c", "\\"}
	line := "printf '%s\\0' " + Join(args...)
	got, err := exec.Command("sh", "-c", line).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	for _, a := range args {
		want += a + "\x00"
	}
	if string(got) != want {
		t.Errorf("sh read %q, want %q", got, want)
	}
}
