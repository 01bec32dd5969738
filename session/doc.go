// Package session is one command's inventory, connections and lab, built
// the same way for every command and every end-to-end test: load and
// validate the inventory, scale its timeouts, connect, find the lab, and
// hand out the runner that brings it up, checks it and takes it down.
package session
