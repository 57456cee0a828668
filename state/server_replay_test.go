package state

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// The session transcripts under testdata/sessions are replayed through the
// Server: the client's writes are fed as they were written, and an oracle
// application answers each decision with the reply the transcript shows at
// that place. Everything the machine writes by itself, the grouping of the
// writes included, must match. "# server:" configures the machine:
// extension keywords (SIZE=n sets the size, AUTH=A,B the mechanisms) and
// options: lmtp, tls, require-tls, require-auth, insecure-auth, lenient,
// sync=allow, bare-data=normalize|allow, max-rcpt=n, max-errors=n,
// mailmax=n, rcptmax=n, rcptdomainmax=n, holdmax=d.

var replayEpoch = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// serverConfigFromMeta builds the configuration a transcript names.
func serverConfigFromMeta(t testing.TB, tr *Transcript) ServerConfig {
	t.Helper()
	var c ServerConfig
	spec, _ := tr.Meta("server")
	for _, tok := range strings.Fields(spec) {
		key, val, _ := strings.Cut(tok, "=")
		num := func() int {
			n, err := strconv.Atoi(val)
			require.NoError(t, err, "server option %s", tok)
			return n
		}
		switch key {
		case "lmtp":
			c.Protocol = ProtocolLMTP
		case "tls":
			c.TLS = true
		case "require-tls":
			c.RequireTLS = true
		case "require-auth":
			c.RequireAuth = true
		case "insecure-auth":
			c.AllowInsecureAuth = true
		case "lenient":
			c.Lenient = true
		case "sync":
			c.Sync = SyncAllow
		case "bare-data":
			p, ok := wire.ParseBarePolicy(val)
			require.True(t, ok, tok)
			c.BareData = p
		case "max-rcpt":
			c.MaxRecipients = num()
		case "max-errors":
			c.MaxErrors = num()
		case "mailmax":
			c.Limits.MailMax = num()
		case "rcptmax":
			c.Limits.RcptMax = num()
		case "rcptdomainmax":
			c.Limits.RcptDomainMax = num()
		case "holdmax":
			d, err := time.ParseDuration(val)
			require.NoError(t, err)
			c.FutureReleaseMax = d
		case "keyword":
			c.Keywords = append(c.Keywords, val)
		case "host":
			c.Hostname = val
		default:
			e := wire.LookupExt([]byte(key))
			require.NotEqual(t, wire.ExtUnknown, e, "unknown server option %q", tok)
			c.Extensions = c.Extensions.With(e)
			switch e {
			case wire.ExtSIZE:
				if val != "" {
					c.MaxMessageSize = int64(num())
				}
			case wire.ExtAUTH:
				c.AuthMechanisms = strings.Split(val, ",")
			case wire.ExtMTPRIORITY:
				c.MTPriority = val
			}
		}
	}
	if c.Hostname == "" {
		// The name in the greeting, when the transcript has one.
		if g := tr.Bytes(SideServer); bytes.HasPrefix(g, []byte("220 ")) || bytes.HasPrefix(g, []byte("220-")) {
			host, _, _ := bytes.Cut(g[4:], []byte("\r\n"))
			host, _, _ = bytes.Cut(host, []byte(" "))
			c.Hostname = string(host)
		}
	}
	return c
}

// expectedReply is one reply of a transcript's server side.
type expectedReply struct {
	code  reply.Code
	lines []string // text of each line, after "ddd-" or "ddd "
}

// parseReplies splits server output into replies.
func parseReplies(b []byte) []expectedReply {
	var out []expectedReply
	var cur *expectedReply
	for len(b) > 0 {
		line, rest, _ := bytes.Cut(b, []byte("\r\n"))
		b = rest
		if len(line) < 3 {
			continue
		}
		code, _ := strconv.Atoi(string(line[:3]))
		if cur == nil {
			out = append(out, expectedReply{code: reply.Code(code)})
			cur = &out[len(out)-1]
		}
		text := ""
		if len(line) > 4 {
			text = string(line[4:])
		}
		cur.lines = append(cur.lines, text)
		if len(line) == 3 || line[3] != '-' {
			cur = nil
		}
	}
	return out
}

// countReplies counts the complete replies in server output.
func countReplies(b []byte) int {
	n := 0
	for _, line := range bytes.Split(b, []byte("\r\n")) {
		if len(line) == 3 || len(line) > 3 && line[3] != '-' {
			n++
		}
	}
	return n
}

// oracle answers the Server's pending decision with the reply the
// transcript has at the same position.
func oracle(t testing.TB, s *Server, ev Event, want []expectedReply, sent int) {
	t.Helper()
	if sent >= len(want) {
		require.NoError(t, s.Respond(reply.Reply{}), "decision %v past the transcript's replies", ev.Kind)
		return
	}
	w := want[sent]
	if w.code == reply.CodeAuthContinue {
		data, err := base64.StdEncoding.DecodeString(w.lines[0])
		require.NoError(t, err)
		require.NoError(t, s.Challenge(data))
		return
	}
	r := reply.Reply{Code: w.code}
	lines := append([]string(nil), w.lines...)
	if s.enhanced && ev.Kind != EventHello && ev.Kind != EventConnect && ev.Kind != EventXclient {
		for i, l := range lines {
			if e, rest, ok := reply.ParseEnhancedPrefix([]byte(l)); ok {
				r.Enhanced, lines[i] = e, string(rest)
			}
		}
	}
	switch ev.Kind {
	case EventHello:
		if w.code.IsPositive() {
			_, greet, _ := strings.Cut(lines[0], " ")
			lines = []string{greet}
		}
	}
	r.Text = strings.Join(lines, "\n")
	require.NoError(t, s.Respond(r), "respond %v to %v", r, ev.Kind)
}

// replayServer runs the transcript at path through a Server and returns
// the transcript the Server actually produced.
func replayServer(t *testing.T, tr *Transcript) (*Transcript, [][]byte) {
	cfg := serverConfigFromMeta(t, tr)
	s, err := NewServer(cfg)
	require.NoError(t, err)
	want := parseReplies(tr.Bytes(SideServer))
	now := replayEpoch
	s.Advance(now)

	var rec Recorder
	for _, m := range tr.Header {
		rec.Meta(m.Key, m.Value)
	}
	var writes [][]byte
	var all []byte
	closed := false
	flush := func() {
		if out := s.Output(); len(out) > 0 {
			writes = append(writes, append([]byte(nil), out...))
			all = append(all, out...)
			rec.Server(out)
			s.Consumed(len(out))
		}
	}
	drain := func() {
		for !closed {
			ev := s.Next()
			switch {
			case ev.Kind == EventNone, ev.Kind == EventStartTLS:
				return
			case ev.Kind == EventClose:
				flush()
				rec.Close(SideServer)
				closed = true
				return
			case ev.Kind.IsDecision():
				oracle(t, s, ev, want, countReplies(all)+countReplies(s.Output()))
			}
		}
	}
	for _, st := range tr.Steps {
		switch st.Kind {
		case StepComment:
			rec.Comment(strings.TrimPrefix(strings.TrimPrefix(string(st.Data), "#"), " "))
		case StepData:
			if st.Side != SideClient {
				continue
			}
			drain()
			flush()
			rec.Client(st.Data)
			if !closed {
				if err := s.Receive(st.Data); err != nil {
					drain()
					flush()
				}
			}
		case StepTLS:
			drain()
			flush()
			rec.TLS()
			if !closed {
				require.NoError(t, s.TLSStarted())
			}
		case StepEOF, StepClose:
			if st.Side != SideClient {
				continue
			}
			drain()
			flush()
			if st.Kind == StepEOF {
				rec.EOF(SideClient)
			} else {
				rec.Close(SideClient)
			}
			if !closed {
				s.ReceiveEOF()
			}
		case StepWait:
			drain()
			flush()
			rec.Wait(st.Wait)
			now = now.Add(st.Wait)
			s.Advance(now)
		}
	}
	drain()
	flush()
	return rec.Transcript(), writes
}

// normalizeEhlo sorts the keyword lines of multi-line 250 replies, whose
// order carries no meaning (RFC 5321 section 4.1.1.1).
func normalizeEhlo(w []byte) []byte {
	lines := strings.SplitAfter(string(w), "\r\n")
	var out []string
	for i := 0; i < len(lines); {
		if strings.HasPrefix(lines[i], "250-") {
			j := i
			for j < len(lines) && strings.HasPrefix(lines[j], "250-") {
				j++
			}
			if j < len(lines) && strings.HasPrefix(lines[j], "250") {
				kw := []string{}
				for _, l := range lines[i+1 : j+1] {
					kw = append(kw, strings.ToUpper(l[4:]))
				}
				sort.Strings(kw)
				out = append(out, lines[i])
				for _, k := range kw {
					out = append(out, "250 "+k)
				}
				i = j + 1
				continue
			}
		}
		out = append(out, lines[i])
		i++
	}
	return []byte(strings.Join(out, ""))
}

func TestServerSessions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "sessions", "*.txt"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			text, err := os.ReadFile(path)
			require.NoError(t, err)
			tr, err := ParseTranscript(text)
			require.NoError(t, err)
			got, writes := replayServer(t, tr)
			wantWrites := string(bytes.Join(norm(tr.Writes(SideServer)), []byte("|")))
			gotWrites := string(bytes.Join(norm(writes), []byte("|")))
			_, wantClose := closes(tr)
			_, gotClose := closes(got)
			if *update {
				if _, verbatim := tr.Meta("rfc"); !verbatim || wantWrites != gotWrites || wantClose != gotClose {
					CompareGoldenTranscript(t, path, got)
				}
				return
			}
			assert.Equal(t, wantWrites, gotWrites, "server writes")
			assert.Equal(t, wantClose, gotClose, "server closes")
		})
	}
}

func norm(ws [][]byte) [][]byte {
	out := make([][]byte, len(ws))
	for i, w := range ws {
		out[i] = normalizeEhlo(w)
	}
	return out
}

// closes reports whether the client and the server close or end their
// streams in tr.
func closes(tr *Transcript) (client, server bool) {
	for _, st := range tr.Steps {
		if st.Kind == StepClose || st.Kind == StepEOF {
			if st.Side == SideClient {
				client = true
			} else {
				server = true
			}
		}
	}
	return client, server
}
