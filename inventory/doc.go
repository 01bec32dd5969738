// Package inventory reads, validates and resolves overlab's inventory: the
// hosts of a lab, how SSH reaches each one and which address it has on the
// lab network.
package inventory
