// Package lab is the model of an overlab lab: a YAML file of networks,
// workloads and expectations (what should reach what, and why), strictly
// decoded and validated, plus the built-in labs that retell the classic Docker
// networking walkthrough.
//
// A lab is pure data. Expand turns its expectations into concrete checks for
// one inventory (which host runs which workload, which pairs to probe);
// Commands renders the plain docker CLI commands that do the same by hand.
// The engine that creates networks and runs probes lives elsewhere and
// consumes these types. The file format is documented in docs/labs.md.
package lab
