// Package fuzz is reserved for smtpkit's cross-package fuzz targets. Fuzz
// targets that exercise one package live beside that package's code (for
// example wire's FuzzParseCommand).
//
// It holds no code yet; the project's issue "fuzz and bench" fills it.
package fuzz
