// Package swarm brings the inventory's hosts into one Docker swarm and takes
// them out again: init on the first manager advertising its lab address,
// joins with tokens fetched through the API (never printed or stored), node
// labels from the inventory, and leave in a safe order (workers first).
package swarm
