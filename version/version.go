package version

import (
	"runtime/debug"

	"github.com/docker/docker/api"
)

// Module is overlab's module path.
const Module = "github.com/overlab/overlab"

// version is set at link time by `make release` and `make build`
// (-X github.com/overlab/overlab/version.version=...).
var version string

// Devel is the version of a build that is neither a release nor a module
// version (`go build` in a checkout).
const Devel = "(devel)"

// String is overlab's version: the one the build was given, else the module
// version `go install ...@version` recorded, else Devel.
func String() string {
	if version != "" {
		return version
	}
	if v := ModuleVersion(); v != "" {
		return v
	}
	return Devel
}

// ModuleVersion is the version of overlab's module this binary was built
// from as a dependency or with `go install ...@version`: a version the
// module proxy can serve. "" for a build in a checkout.
func ModuleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Path != Module {
		return ""
	}
	return moduleVersion(bi.Main.Version)
}

func moduleVersion(v string) string {
	if v == "" || v == Devel {
		return ""
	}
	return v
}

// EngineAPI is the newest Docker Engine API version overlab's client
// speaks; it negotiates down to an older engine's.
func EngineAPI() string { return api.DefaultVersion }
