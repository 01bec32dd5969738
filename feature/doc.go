// Package feature is overlab's one list of the kernel features that Docker
// multi-host networking depends on: how to detect each (module, kernel
// config, symbol, /proc/net entry) and what a host without it cannot do.
// The facts script, the fact parser, `overlab hosts`, the runner's
// capability check and the doctor all read this list; add a feature here and
// every one of them knows it.
package feature
