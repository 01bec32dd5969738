// Package watch keeps checking a lab that is up, or a user's own networks
// with overlab's probes kept up between rounds, every interval: it serves
// the latest results as Prometheus metrics (a registry of its own, metrics
// built from its state at scrape time), as a live page with the HTML
// report's heatmaps (updated by server-sent events) and as JSON in the
// results schema; it says each transition (a probe changing outcome, a host
// lost or back) on one line and in an events file with the diagnosis at
// that moment, stores runs on transitions and at most every ten minutes
// otherwise, and reconnects with backoff to hosts that went away.
//
// The loop owns the cluster: hosts are pinged, dropped and put back only
// between rounds, so a round never sees its hosts change under it. The
// HTTP side reads immutable snapshots of the state.
package watch
