// Package sessiontest opens sessions on the local test labs of package
// labtest, the way every command opens one, for the end-to-end tests.
package sessiontest
