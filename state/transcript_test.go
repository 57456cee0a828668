package state

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sameTranscript reports whether a and b hold the same header and events,
// line numbers aside (an empty Data equals a nil one).
func sameTranscript(a, b *Transcript) bool {
	if len(a.Header) != len(b.Header) || len(a.Steps) != len(b.Steps) {
		return false
	}
	for i := range a.Header {
		if a.Header[i] != b.Header[i] {
			return false
		}
	}
	for i := range a.Steps {
		x, y := a.Steps[i], b.Steps[i]
		if x.Kind != y.Kind || x.Side != y.Side || x.Wait != y.Wait || !bytes.Equal(x.Data, y.Data) {
			return false
		}
	}
	return true
}

func TestSideString(t *testing.T) {
	assert.Equal(t, "none", SideNone.String())
	assert.Equal(t, "client", SideClient.String())
	assert.Equal(t, "server", SideServer.String())
	assert.Equal(t, "Side(7)", Side(7).String())
}

func TestSidePeer(t *testing.T) {
	assert.Equal(t, SideServer, SideClient.Peer())
	assert.Equal(t, SideClient, SideServer.Peer())
	assert.Equal(t, SideNone, SideNone.Peer())
	assert.Equal(t, SideNone, Side(7).Peer())
}

func TestEventKindString(t *testing.T) {
	want := map[StepKind]string{
		StepNone: "none", StepData: "data", StepTLS: "tls", StepClose: "close",
		StepEOF: "eof", StepWait: "wait", StepComment: "comment", StepKind(42): "StepKind(42)",
	}
	for k, s := range want {
		assert.Equal(t, s, k.String())
	}
}

func TestTranscriptErrorMessage(t *testing.T) {
	err := &TranscriptError{Line: 4, Reason: `unknown escape "\\q"`}
	assert.Equal(t, `state: transcript line 4: unknown escape "\\q"`, err.Error())
}

func TestTranscriptMeta(t *testing.T) {
	tr, err := ParseTranscript([]byte("# server: PIPELINING CHUNKING SIZE=1000\n# client: x\n# server: second\n# empty:\nC: QUIT\n"))
	require.NoError(t, err)
	tests := []struct {
		key   string
		value string
		ok    bool
	}{
		{"server", "PIPELINING CHUNKING SIZE=1000", true},
		{"client", "x", true},
		{"empty", "", true},
		{"Server", "", false},
		{"missing", "", false},
	}
	for _, tt := range tests {
		v, ok := tr.Meta(tt.key)
		assert.Equal(t, tt.ok, ok, tt.key)
		assert.Equal(t, tt.value, v, tt.key)
	}
}

func TestTranscriptStreams(t *testing.T) {
	text := "S: 220 x\nC: EHLO a\nS: 250 STARTTLS\nC: STARTTLS\nS: 220 go\n-- TLS\n" +
		"C: EHLO a\n-- flush\nC+ NO\nS: 250 x\n-- TLS\nC: OP\n"
	tr, err := ParseTranscript([]byte(text))
	require.NoError(t, err)

	assert.Equal(t, []string{"EHLO a\r\n", "STARTTLS\r\n", "EHLO a\r\n", "NO", "OP\r\n"}, toStrings(tr.Writes(SideClient)))
	assert.Equal(t, "EHLO a\r\nSTARTTLS\r\nEHLO a\r\nNOOP\r\n", string(tr.Bytes(SideClient)))
	assert.Equal(t, "220 x\r\n250 STARTTLS\r\n220 go\r\n250 x\r\n", string(tr.Bytes(SideServer)))
	assert.Empty(t, tr.Writes(SideNone))
	assert.Empty(t, tr.Bytes(SideNone))

	clear, secure := tr.SplitTLS(SideClient)
	assert.Equal(t, "EHLO a\r\nSTARTTLS\r\n", string(clear))
	assert.Equal(t, "EHLO a\r\nNOOP\r\n", string(secure))
	clear, secure = tr.SplitTLS(SideServer)
	assert.Equal(t, "220 x\r\n250 STARTTLS\r\n220 go\r\n", string(clear))
	assert.Equal(t, "250 x\r\n", string(secure))

	plain, err := ParseTranscript([]byte("C: QUIT\n"))
	require.NoError(t, err)
	clear, secure = plain.SplitTLS(SideClient)
	assert.Equal(t, "QUIT\r\n", string(clear))
	assert.Nil(t, secure)
}

func TestRecorder(t *testing.T) {
	type op func(r *Recorder)
	client := func(s string) op { return func(r *Recorder) { r.Client([]byte(s)) } }
	server := func(s string) op { return func(r *Recorder) { r.Server([]byte(s)) } }
	tests := []struct {
		name string
		ops  []op
		want string
	}{
		{
			name: "each call is one write",
			ops: []op{
				func(r *Recorder) { r.Meta("rfc", "RFC 2920") },
				server("220 x\r\n"),
				client("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"),
				client("DATA\r\n"),
				server("250 OK\r\n250 OK\r\n354 go\r\n"),
			},
			want: "# rfc: RFC 2920\nS: 220 x\nC: MAIL FROM:<a@b>\nC: RCPT TO:<c@d>\n-- flush\nC: DATA\nS: 250 OK\nS: 250 OK\nS: 354 go\n",
		},
		{
			name: "a line split across writes",
			ops:  []op{client("BDAT 3 LA"), client("ST\r\nab"), client("c")},
			want: "C+ BDAT 3 LA\n-- flush\nC: ST\nC+ ab\n-- flush\nC+ c\n",
		},
		{
			name: "markers and comments",
			ops: []op{
				server("220 2.0.0 go\r\n"),
				func(r *Recorder) { r.TLS() },
				func(r *Recorder) { r.Comment("inside TLS\nnow") },
				func(r *Recorder) { r.Comment("") },
				func(r *Recorder) { r.Wait(2 * time.Minute) },
				func(r *Recorder) { r.EOF(SideClient) },
				func(r *Recorder) { r.Close(SideServer) },
			},
			want: "S: 220 2.0.0 go\n-- TLS\n# inside TLS now\n#\n-- wait 2m\n-- eof C\n-- close S\n",
		},
		{
			name: "a key: value comment before any event joins the header",
			ops: []op{
				func(r *Recorder) { r.Comment("rfc: RFC 5321") },
				func(r *Recorder) { r.Meta("server", "SIZE") },
				func(r *Recorder) { r.Comment("plain") },
				func(r *Recorder) { r.Comment("later: comment") },
			},
			want: "# rfc: RFC 5321\n# server: SIZE\n# plain\n# later: comment\n",
		},
		{
			name: "empty and sideless records are dropped",
			ops: []op{
				client(""),
				func(r *Recorder) { r.Write(SideNone, []byte("x")) },
				func(r *Recorder) { r.Close(SideNone) },
				func(r *Recorder) { r.EOF(Side(5)) },
				func(r *Recorder) { r.Wait(0) },
				func(r *Recorder) { r.Wait(-time.Second) },
				client("QUIT\r\n"),
			},
			want: "C: QUIT\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Recorder
			for _, o := range tt.ops {
				o(&r)
			}
			rec := r.Transcript()
			text := rec.Append(nil)
			assert.Equal(t, tt.want, string(text))
			back, err := ParseTranscript(text)
			require.NoError(t, err)
			assert.True(t, sameTranscript(rec, back), "parse gives back the recording:\n%s", text)
		})
	}
}

func TestRecorderCopiesAndContinues(t *testing.T) {
	var r Recorder
	buf := []byte("NOOP\r\n")
	r.Client(buf)
	copy(buf, "QUIT")
	first := r.Transcript()
	r.Server([]byte("250 OK\r\n"))
	assert.Equal(t, "C: NOOP\n", first.String(), "the caller's buffer and later records do not show")
	assert.Equal(t, "C: NOOP\nS: 250 OK\n", r.Transcript().String())
}
