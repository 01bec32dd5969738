package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/overlab/overlab/execx"
)

func newVagrantCommand(g *Globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "vagrant",
		Short: "A real VM cluster from the repository's Vagrantfile, with its inventory",
	}
	c.AddCommand(
		newVagrantUpCommand(g),
		newVagrantDownCommand(g),
	)
	return c
}

// vagrantState is what `vagrant up` leaves for `vagrant down`: Vagrant only
// knows the machines that the Vagrantfile defines for OVERLAB_NODES, so
// destroying with another count would leave VMs behind.
type vagrantState struct {
	Nodes      int    `json:"nodes"`
	Inventory  string `json:"inventory"`
	KnownHosts string `json:"known_hosts"`
}

func vagrantStatePath(dir string) string { return filepath.Join(dir, ".overlab", "vagrant.json") }

func readVagrantState(dir string) (*vagrantState, error) {
	data, err := os.ReadFile(vagrantStatePath(dir))
	if err != nil {
		return nil, err
	}
	var s vagrantState
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", vagrantStatePath(dir), err)
	}
	return &s, nil
}

// vagrantCmd runs vagrant in dir for a cluster of nodes VMs. Progress goes
// to progress when it is not nil; otherwise stdout is returned and a failure
// carries what vagrant printed.
func vagrantCmd(ctx context.Context, dir string, nodes int, progress io.Writer, args ...string) ([]byte, error) {
	path, err := exec.LookPath("vagrant")
	if err != nil {
		return nil, errors.New("vagrant is not installed (Debian/Ubuntu: apt-get install vagrant, or https://developer.hashicorp.com/vagrant/install), or not on PATH")
	}
	c := exec.CommandContext(ctx, path, args...)
	c.Dir = dir
	c.Env = append(os.Environ(), "OVERLAB_NODES="+strconv.Itoa(nodes))
	var stdout, combined bytes.Buffer
	if progress != nil {
		c.Stdout, c.Stderr = progress, progress
	} else {
		c.Stdout = io.MultiWriter(&stdout, &combined)
		c.Stderr = &combined
	}
	if err := c.Run(); err != nil {
		return nil, execx.NewCommandError("", append([]string{"vagrant"}, args...), combined.Bytes(), err)
	}
	return stdout.Bytes(), nil
}
