// Package importer turns inventories that people already have into
// overlab's: `vagrant ssh-config` output and Ansible inventories (INI and
// YAML). What cannot be mapped is an error that says why, never a silent
// guess. It also discovers a host's lab address over a narrow Runner
// interface when the source does not tell it.
package importer
