// Package bench is reserved for smtpkit's cross-package benchmarks and, in
// bench/compare (a module of its own), the side-by-side comparison with
// emersion/go-smtp and net/smtp. Benchmarks of one package live beside that
// package's code.
//
// It holds no code yet; the project's issue "fuzz and bench" fills it.
package bench
