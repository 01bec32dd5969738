// Package output prints a command's data in the format the user asked for
// (--format table|json|yaml), the same way for every command, so that JSON
// and YAML always carry the same field names.
package output
