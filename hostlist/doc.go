// Package hostlist writes a list of host names short enough to read at
// 100 hosts: runs of numbered names become Ansible's range pattern
// ("node[001:040]" is node001 to node040), so a diagnosis or a summary
// names forty hosts in one word. It is pure and has no dependencies.
package hostlist
