package cluster

import "testing"

func TestPipePath(t *testing.T) {
	for in, want := range map[string]string{
		`\\.\pipe\openssh-ssh-agent`: `\\.\pipe\openssh-ssh-agent`,
		`//./pipe/openssh-ssh-agent`: `\\.\pipe\openssh-ssh-agent`,
		`\\.\PIPE\pageant.me.abc`:    `\\.\PIPE\pageant.me.abc`,
		`/tmp/ssh-XXXX/agent.123`:    "",
		`C:\Users\me\agent.sock`:     "",
		`\\.\pipe\`:                  "",
	} {
		got, ok := pipePath(in)
		if got != want || ok != (want != "") {
			t.Errorf("pipePath(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
