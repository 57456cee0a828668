package state

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// transcriptSeeds returns the golden transcripts under testdata, the seeds
// of both targets.
func transcriptSeeds(f *testing.F) [][]byte {
	files, err := filepath.Glob(filepath.Join("testdata", "transcripts", "*.txt"))
	if err != nil {
		f.Fatal(err)
	}
	var out [][]byte
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, text)
	}
	return out
}

// FuzzTranscript holds ParseTranscript and Append to each other: parsing
// never panics; an error is a *TranscriptError naming a line of the text;
// what parses is written canonically, and the canonical text parses back to
// the same transcript and is its own canonical form.
func FuzzTranscript(f *testing.F) {
	for _, seed := range transcriptSeeds(f) {
		f.Add(seed)
	}
	f.Add([]byte("C+ RCPT TO:<bob@exa\n-- flush\nC: mple.org>\n"))
	f.Add([]byte("C: \\r\\n.\\r\\r\\n\nC+ \\x00.\\n\n-- wait 1h0m5s\n-- eof S\n"))
	f.Add([]byte("# k: v\n\n# x: y\nS: 334\\x20\n-- TLS\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		tr, err := ParseTranscript(text)
		if err != nil {
			var te *TranscriptError
			if !errors.As(err, &te) {
				t.Fatalf("error %v is not a *TranscriptError", err)
			}
			if te.Line < 1 || te.Line > bytes.Count(text, []byte{'\n'})+1 {
				t.Fatalf("error line %d outside the text: %v", te.Line, err)
			}
			return
		}
		canon := tr.Append(nil)
		back, err := ParseTranscript(canon)
		if err != nil {
			t.Fatalf("canonical text does not parse: %v\n%s", err, canon)
		}
		if !sameTranscript(tr, back) {
			t.Fatalf("canonical text parses to another transcript:\n%s", canon)
		}
		if again := back.Append(nil); !bytes.Equal(again, canon) {
			t.Fatalf("canonical text is not a fixed point:\n%s\n---\n%s", canon, again)
		}
		for _, side := range []Side{SideClient, SideServer} {
			if !bytes.Equal(tr.Bytes(side), back.Bytes(side)) {
				t.Fatalf("%v bytes differ after the round trip", side)
			}
		}
	})
}

// FuzzTranscriptRecord records random writes and events, formats and
// parses them, and requires the same per-side byte streams and the same
// write boundaries back. Each byte of script is one step: its low three
// bits pick the kind (client write, server write, or an event) and the rest
// the size of the write, cut from data in turn.
func FuzzTranscriptRecord(f *testing.F) {
	for _, seed := range transcriptSeeds(f) {
		tr, err := ParseTranscript(seed)
		if err != nil {
			f.Fatal(err)
		}
		var data, script []byte
		for _, e := range tr.Steps {
			for len(e.Data) > 0 && e.Kind == StepData {
				n := min(len(e.Data), 31)
				data = append(data, e.Data[:n]...)
				e.Data = e.Data[n:]
				op := byte(0) // client
				if e.Side == SideServer {
					op = 4
				}
				script = append(script, byte(n-1)<<3|op)
			}
			if e.Kind == StepTLS {
				script = append(script, 6)
			}
		}
		f.Add(data, script)
	}
	f.Add([]byte("key: value"), []byte{0x56})
	f.Add([]byte("BDAT 3 LAST\r\nab\nc\r.\r\x00 \\x"), []byte{0x00, 0x08, 0x7c, 0x0e, 0x16, 0x1e, 0x03, 0x55})
	f.Fuzz(func(t *testing.T, data, script []byte) {
		var r Recorder
		var writes [2][][]byte
		for _, b := range script {
			op, size := b&7, int(b>>3)+1
			switch {
			case op < 4 || op == 7:
				n := min(size, len(data))
				if n > 0 {
					r.Client(data[:n])
					writes[0] = append(writes[0], data[:n])
				}
				data = data[n:]
			case op < 6:
				n := min(size, len(data))
				if n > 0 {
					r.Server(data[:n])
					writes[1] = append(writes[1], data[:n])
				}
				data = data[n:]
			default:
				switch size % 6 {
				case 0:
					r.TLS()
				case 1:
					r.Wait(time.Duration(b) * time.Second)
				case 2:
					r.EOF(SideClient)
				case 3:
					r.Close(SideServer)
				default:
					r.Comment(string(data[:min(size, len(data))]))
				}
			}
		}
		rec := r.Transcript()
		text := rec.Append(nil)
		back, err := ParseTranscript(text)
		if err != nil {
			t.Fatalf("recorded text does not parse: %v\n%s", err, text)
		}
		if !sameTranscript(rec, back) {
			t.Fatalf("recorded text parses to another transcript:\n%s", text)
		}
		for i, side := range []Side{SideClient, SideServer} {
			got := back.Writes(side)
			if len(got) != len(writes[i]) {
				t.Fatalf("%v: %d writes recorded, %d parsed:\n%s", side, len(writes[i]), len(got), text)
			}
			for k := range got {
				if !bytes.Equal(got[k], writes[i][k]) {
					t.Fatalf("%v write %d: recorded %q, parsed %q", side, k, writes[i][k], got[k])
				}
			}
			if !bytes.Equal(back.Bytes(side), bytes.Join(writes[i], nil)) {
				t.Fatalf("%v stream differs", side)
			}
		}
	})
}
