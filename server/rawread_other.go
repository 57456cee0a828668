//go:build !unix

package server

// rawReader is available on Unix only; elsewhere every connection reads
// through net.Conn.Read into a pooled buffer.
type rawReader struct{}

func newRawReader(any) *rawReader { return nil }

func (*rawReader) read() (*[readSize]byte, int, error) { panic("unreachable") }
