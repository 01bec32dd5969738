//go:build !linux

package cmd

import (
	"github.com/spf13/cobra"

	"github.com/overlab/overlab/provider"
)

// The local provider needs Linux (network namespaces, one dockerd per
// host): elsewhere `overlab local ...` says so and what to use instead.

type localFlags struct{}

type newLocalProvider func(g *Globals, f *localFlags) (provider.Hosts, error)

func newLocalHosts(*Globals, *localFlags) (provider.Hosts, error) { return nil, errLocalNeedsLinux }

func newLocalCommand(*Globals, newLocalProvider) *cobra.Command { return needsLinuxCommand() }
