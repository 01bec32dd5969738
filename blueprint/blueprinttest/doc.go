// Package blueprinttest compares, on real hosts, what a lab's printed
// commands create with what the engines have: the end-to-end proof that
// `lab show --commands` and `up` agree.
package blueprinttest
