// Package version says which overlab this is: its version (set by
// `make release`, else the module version `go install` stamps), the Docker
// Engine API version its client was built with, and where a probe for a
// host of another architecture can be built from.
package version
