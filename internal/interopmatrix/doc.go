// Command interopmatrix writes docs/INTEROP.md, the interoperability
// matrix, from the rows the interop tests record: each test under
// interop/ (build tag interop) appends one JSON object per case to
// $SMTPKIT_INTEROP_OUT/<package>.jsonl. Usage:
//
//	d=$(mktemp -d)
//	SMTPKIT_INTEROP_OUT=$d go test -tags interop -count=1 ./interop/...
//	go run ./internal/interopmatrix "$d" > docs/INTEROP.md
package main
