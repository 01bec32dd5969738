// Package progress shows what up, check and down are doing: per phase and
// per host a ✓ or ✗ with the duration when a step ends. On a terminal a
// spinner line names the running phases; elsewhere (CI logs, pipes) every
// line is plain and timestamped. Quiet shows only failures and the summary;
// verbose adds detail lines. Safe for concurrent use: lines never interleave.
package progress
