// Package fanout runs one function per host concurrently and collects every
// host's error, prefixed with the host's name and sorted, so that a report
// reads the same whatever order the hosts finished in. It is the collect-all
// policy for packages that work on named hosts through narrow interfaces
// (cluster.Each is the same policy for connected nodes).
package fanout
