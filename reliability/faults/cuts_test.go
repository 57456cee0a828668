//go:build reliability

package faults

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/internal/servetest"
	"github.com/stretchr/testify/require"
)

// step is what a raw client writes at once, then the reply codes it waits
// for before the next step.
type step struct {
	out   []byte
	codes []int
}

// script is one message's session after EHLO, with the regions a cut may
// fall in (offsets into the concatenated steps).
type script struct {
	steps   []step
	end     int      // the octets of the whole session: the end of data
	cmdEnd  int      // the end of MAIL, RCPT (and DATA) command lines
	lines   [][2]int // BDAT command lines [start, end)
	datas   [][2]int // BDAT chunk data [start, end)
	message string   // what is stored after serve's trace header
}

// testMessage is a message with token in its Subject and body: about 4 KB
// of lines, some starting with a dot, one of a single dot, for DATA's
// dot-stuffing (RFC 5321 section 4.5.2).
func testMessage(token string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: <sender@cut.example>\r\nTo: <rcpt@cut.example>\r\nSubject: %s\r\nMessage-ID: <%s@cut.example>\r\n\r\n", token, token)
	for i := range 60 {
		switch {
		case i == 30:
			b.WriteString(".\r\n")
		case i%10 == 5:
			fmt.Fprintf(&b, ".line %02d of %s starts with a dot\r\n", i, token)
		default:
			fmt.Fprintf(&b, "line %02d of %s: the quick brown fox jumps over the lazy dog\r\n", i, token)
		}
	}
	b.WriteString("end\r\n")
	return b.String()
}

// dotStuff doubles a leading dot on every line (RFC 5321 section 4.5.2).
func dotStuff(msg string) string {
	lines := strings.SplitAfter(msg, "\r\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") {
			lines[i] = "." + l
		}
	}
	return strings.Join(lines, "")
}

const envelope = "MAIL FROM:<sender@cut.example>\r\nRCPT TO:<rcpt@cut.example>\r\n"

// dataScript sends msg with DATA (RFC 5321 section 4.1.1.4): lock-step,
// or MAIL, RCPT and DATA pipelined in one write (RFC 2920 section 3.1).
func dataScript(msg string, pipelined bool) script {
	s := script{message: msg}
	content := dotStuff(msg) + ".\r\n"
	if pipelined {
		s.steps = []step{{[]byte(envelope + "DATA\r\n"), []int{250, 250, 354}}}
	} else {
		mail, rcpt, _ := strings.Cut(envelope, "\r\n")
		s.steps = []step{{[]byte(mail + "\r\n"), []int{250}}, {[]byte(rcpt), []int{250}}, {[]byte("DATA\r\n"), []int{354}}}
	}
	s.cmdEnd = len(envelope) + len("DATA\r\n")
	s.steps = append(s.steps, step{[]byte(content), []int{250}})
	s.end = s.cmdEnd + len(content)
	return s
}

// bdatScript sends msg in three BDAT chunks (RFC 3030 section 2) split at
// random points: each chunk waiting for its reply, or everything from MAIL
// on in one write (BDAT may be pipelined, RFC 3030 section 4.2).
func bdatScript(msg string, pipelined bool, rng *rand.Rand) script {
	s := script{message: msg, cmdEnd: len(envelope)}
	a := 1 + rng.IntN(len(msg)-2)
	b := 1 + rng.IntN(len(msg)-2)
	if a > b {
		a, b = b, a
	}
	if a == b {
		b++
	}
	chunks := []string{msg[:a], msg[a:b], msg[b:]}
	var all []byte
	off := len(envelope)
	if pipelined {
		all = []byte(envelope)
	} else {
		mail, rcpt, _ := strings.Cut(envelope, "\r\n")
		s.steps = []step{{[]byte(mail + "\r\n"), []int{250}}, {[]byte(rcpt), []int{250}}}
	}
	for i, c := range chunks {
		line := "BDAT " + strconv.Itoa(len(c))
		if i == len(chunks)-1 {
			line += " LAST"
		}
		line += "\r\n"
		s.lines = append(s.lines, [2]int{off, off + len(line)})
		s.datas = append(s.datas, [2]int{off + len(line), off + len(line) + len(c)})
		off += len(line) + len(c)
		if pipelined {
			all = append(all, line+c...)
		} else {
			s.steps = append(s.steps, step{[]byte(line + c), []int{250}})
		}
	}
	if pipelined {
		s.steps = []step{{all, []int{250, 250, 250, 250, 250}}}
	}
	s.end = off
	return s
}

// between returns a random int in [lo, hi].
func between(rng *rand.Rand, lo, hi int) int { return lo + rng.IntN(hi-lo+1) }

// dataCut picks a cut point before the end of data: in the command lines,
// the content, or the final CRLF "." CRLF (writing 0 to 4 of its octets).
func dataCut(s script, i int, rng *rand.Rand) (k int, region, where string) {
	switch i % 3 {
	case 0:
		return between(rng, 1, s.cmdEnd), "commands", "MAIL/RCPT/DATA lines"
	case 1:
		return between(rng, s.cmdEnd+1, s.end-6), "content", "content"
	default:
		return between(rng, s.end-5, s.end-1), "end-of-data", "final CRLF.CRLF"
	}
}

// bdatCut picks a cut point before the end of the LAST chunk's data:
// inside a chunk, between chunks, inside a BDAT command line (up to the
// whole line without its data), or in MAIL and RCPT.
func bdatCut(s script, i int, rng *rand.Rand) (k int, region, where string) {
	j := rng.IntN(len(s.datas))
	switch i % 4 {
	case 0:
		d := s.datas[j]
		if d[1]-d[0] < 2 {
			return d[0], "chunk", "chunk data (empty start)"
		}
		return between(rng, d[0]+1, d[1]-1), "chunk", fmt.Sprintf("inside chunk %d", j+1)
	case 1:
		j = rng.IntN(len(s.datas) - 1)
		return s.datas[j][1], "between", fmt.Sprintf("between chunks %d and %d", j+1, j+2)
	case 2:
		l := s.lines[j]
		return between(rng, l[0]+1, l[1]), "BDAT-line", fmt.Sprintf("inside BDAT line %d", j+1)
	default:
		return between(rng, 1, s.cmdEnd), "commands", "MAIL/RCPT lines"
	}
}

// play runs s on a new connection up to octet k, then cuts it (reset: an
// RST). At a step's end, readReply says whether to wait for its replies
// first (never at the end of data: that cut is the after-end case).
func play(t testing.TB, addr string, s script, k int, reset, readReply bool) {
	t.Helper()
	r, kw := dialRaw(t, addr)
	for _, want := range []string{"PIPELINING", "CHUNKING"} {
		require.Contains(t, kw, want)
	}
	off := 0
	for _, st := range s.steps {
		if k <= off+len(st.out) {
			if n := k - off; n > 0 {
				r.write(st.out[:n])
			}
			if k == off+len(st.out) && readReply && k < s.end {
				for _, c := range st.codes {
					r.expect(c)
				}
			}
			r.cut(reset)
			return
		}
		r.write(st.out)
		for _, c := range st.codes {
			r.expect(c)
		}
		off += len(st.out)
	}
	r.quit()
}

// cutSeed is SMTPKIT_FAULTS_SEED, or the clock.
func cutSeed(t *testing.T) uint64 {
	if v := os.Getenv("SMTPKIT_FAULTS_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "SMTPKIT_FAULTS_SEED")
		return n
	}
	return uint64(time.Now().UnixNano())
}

// TestCuts cuts connections at seeded-random points inside DATA and BDAT
// against "smtpkit serve --tls off". A connection lost before the end of
// data ends the transaction (RFC 5321 section 3.8; RFC 3030 section 2: a
// message is complete only with BDAT LAST's data), so no message may be
// stored, none may be left half-written in tmp/, and serve goes on
// delivering. A cut after the whole end of data, before the reply was
// read, may be stored or not (the server took responsibility before the
// client saw it: RFC 5321 section 6.1); stored, it must be complete and
// stored once.
func TestCuts(t *testing.T) {
	sc := sizes(t)
	seed := cutSeed(t)
	t.Logf("seed %d (SMTPKIT_FAULTS_SEED=%d reproduces)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	s := servetest.Start(t, bin, "--tls", "off", "--hostname", "mx.cut.example")
	base := sockets(t, s.PID())
	tmpDir, newDir := filepath.Join(s.Maildir, "tmp"), filepath.Join(s.Maildir, "new")
	msg := testMessage("cut-message")
	start := time.Now()

	counts := map[string]int{}
	resets, pipelined, failures := 0, 0, 0
	for _, mode := range []string{"DATA", "BDAT"} {
		for i := range sc.cuts {
			pipe, reset := rng.IntN(2) == 0, rng.IntN(3) == 0
			var s1 script
			var k int
			var region, where string
			if mode == "DATA" {
				s1 = dataScript(msg, pipe)
				k, region, where = dataCut(s1, i, rng)
			} else {
				s1 = bdatScript(msg, pipe, rng)
				k, region, where = bdatCut(s1, i, rng)
			}
			require.Less(t, k, s1.end)
			play(t, s.Addr, s1, k, reset, rng.IntN(2) == 0)
			counts[mode+" "+region]++
			if reset {
				resets++
			}
			if pipe {
				pipelined++
			}
			settle(t, s, base)
			if n, tmp := listDir(t, newDir), listDir(t, tmpDir); len(n) > 0 || len(tmp) > 0 {
				failures++
				t.Errorf("%s cut %d at octet %d of %d (%s, pipelined %v, reset %v): new/ %v, tmp/ %v",
					mode, i, k, s1.end, where, pipe, reset, n, tmp)
				if failures >= 5 {
					t.FailNow()
				}
			}
		}
	}
	time.Sleep(200 * time.Millisecond) // anything late would show now
	settle(t, s, base)
	partial, leftovers := len(listDir(t, newDir)), len(listDir(t, tmpDir))
	require.Zero(t, partial, "messages stored from cut connections")
	require.Zero(t, leftovers, "files left in tmp/")
	require.Zero(t, s.Accepted(), "serve logged a cut message as accepted:\n%s", s.Stdout())
	t.Logf("cut regions: %v; %d pipelined, %d reset", counts, pipelined, resets)

	// Cuts after the end of data, before the reply: each may be stored,
	// but only whole and once.
	after := map[string]bool{}
	for i := range sc.afterEnd {
		for _, mode := range []string{"DATA", "BDAT"} {
			m := testMessage(fmt.Sprintf("after-%s-%d", strings.ToLower(mode), i))
			s1 := dataScript(m, i%2 == 0)
			if mode == "BDAT" {
				s1 = bdatScript(m, i%2 == 0, rng)
			}
			after[m] = false
			play(t, s.Addr, s1, s1.end, rng.IntN(2) == 0, false)
		}
	}
	settle(t, s, base)
	storedAfter := 0
	for _, f := range readNew(t, s.Maildir) {
		_, rest, ok := traceHead(f)
		require.True(t, ok, "stored message without serve's trace header: %.200q", f)
		seen, known := after[rest]
		require.True(t, known, "stored message is not one sent whole: %.300q", rest)
		require.False(t, seen, "message stored twice: %.100q", rest)
		after[rest] = true
		storedAfter++
	}
	require.Empty(t, listDir(t, tmpDir), "tmp/ after the after-end cuts")
	require.Equal(t, storedAfter, s.WaitAccepted(storedAfter, 5*time.Second), "accepted lines vs stored after-end messages")

	// serve still delivers: a whole message by DATA and one by BDAT, each
	// stored once and byte-exact after the trace header.
	final := map[string]int{}
	for _, mode := range []string{"DATA", "BDAT"} {
		m := testMessage("final-" + strings.ToLower(mode))
		s1 := dataScript(m, mode == "DATA")
		if mode == "BDAT" {
			s1 = bdatScript(m, false, rng)
		}
		play(t, s.Addr, s1, s1.end+1, false, true) // past the end: every reply, then QUIT
		final[m] = 0
	}
	settle(t, s, base)
	for _, f := range readNew(t, s.Maildir) {
		_, rest, _ := traceHead(f)
		if _, ok := final[rest]; ok {
			final[rest]++
		}
	}
	for m, n := range final {
		require.Equal(t, 1, n, "final message stored %d times: %.80q", n, m)
	}
	require.Equal(t, storedAfter+2, s.WaitAccepted(storedAfter+2, 5*time.Second))
	require.Empty(t, listDir(t, tmpDir))
	select {
	case <-s.Done():
		t.Fatalf("serve exited: %s", s.Log())
	default:
	}
	t.Logf("RESULT cuts: %d DATA + %d BDAT cut points before the end of data (seed %d, %d pipelined, %d by RST), "+
		"0 partial messages, 0 tmp leftovers; %d of %d cuts after the end of data (before the reply) stored, each whole and once; "+
		"serve still delivers byte-exact (%s)",
		sc.cuts, sc.cuts, seed, pipelined, resets, storedAfter, 2*sc.afterEnd, time.Since(start).Round(time.Millisecond))
}
