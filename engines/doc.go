// Package engines reads Docker Engine versions as the engines report them
// ("20.10.24+dfsg1", "28.5.2") and the version ranges labs write
// (">= 28.0", "< 28.0", ">= 26.0, < 28.0", "= 26.1"), so that a lab can say
// what it expects of each engine generation.
package engines
