package conformance

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// scriptClose, at the end of an answer, makes the scripted server close
// the connection once it has written the rest of the answer.
const scriptClose = "\x00close"

// scriptedServer starts a scripted SMTP server on 127.0.0.1 and returns its
// address; it stops when the test ends. Every connection is answered by
// answer: the server sends "220 scripted.test ESMTP", then reads lines (up
// to LF, any length, CRLF or LF removed) and writes answer(line) for each,
// CRLF added: nothing when the answer is "", several lines when it holds
// CRLFs (a multi-line reply, or several replies). An answer that ends in
// scriptClose is written without it and the connection is closed. A
// connection also ends at EOF and after ten seconds.
//
// answer is shared by all connections (the runner's probe included); use
// scriptedServerConns for a state of each connection.
func scriptedServer(t testing.TB, answer func(line string) string) string {
	return scriptedServerConns(t, func() func(string) string { return answer })
}

// scriptedServerConns is scriptedServer with an answer func of each
// connection's own, made by newConn when the connection opens.
func scriptedServerConns(t testing.TB, newConn func() func(line string) string) string {
	t.Helper()
	return listenTest(t, func(c net.Conn) { scriptServe(c, newConn()) })
}

// listenTest accepts connections on 127.0.0.1 until the test ends and
// serves each with handle on its own goroutine, under a 20-second
// deadline, closing it afterwards. It returns the address. Every fake
// server of the package's tests stands on it.
func listenTest(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				handle(c)
			}()
		}
	}()
	return l.Addr().String()
}

// scriptServe runs one connection of a scripted server.
func scriptServe(c net.Conn, answer func(string) string) {
	if _, err := c.Write([]byte("220 scripted.test ESMTP\r\n")); err != nil {
		return
	}
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		out, closing := strings.CutSuffix(answer(strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")), scriptClose)
		if out != "" {
			if _, err := c.Write([]byte(out + "\r\n")); err != nil {
				return
			}
		}
		if closing {
			return
		}
	}
}

// scriptSMTP is a small SMTP server for scripted tests that follows RFC
// 5321 for the basic commands (EHLO, HELO, MAIL, RCPT, DATA, RSET, NOOP,
// QUIT, HELP, VRFY; 500 for anything else and for lines over 512 octets).
// Override sees every line first, message content included, and makes a
// broken server of it. It does not speak BDAT.
type scriptSMTP struct {
	// Ext are the keywords the EHLO reply lists.
	Ext []string
	// Override answers a line instead of the reference behaviour when it
	// returns ok.
	Override func(m *scriptSMTP, line string) (answer string, ok bool)
	// The session: EHLO or HELO seen, a reverse-path, a recipient,
	// message content being read.
	Greeted, Mail, Rcpt, Data bool
}

// scriptConns returns the newConn of scriptedServerConns for a scriptSMTP
// with ext and override.
func scriptConns(ext []string, override func(m *scriptSMTP, line string) (string, bool)) func() func(string) string {
	return func() func(string) string {
		m := &scriptSMTP{Ext: ext, Override: override}
		return m.Answer
	}
}

// Answer answers one line.
func (m *scriptSMTP) Answer(line string) string {
	if m.Override != nil {
		if a, ok := m.Override(m, line); ok {
			return a
		}
	}
	return m.Base(line)
}

// Base is the reference answer to line, without Override.
func (m *scriptSMTP) Base(line string) string {
	if m.Data {
		if line == "." {
			m.Data, m.Mail, m.Rcpt = false, false, false
			return "250 2.0.0 accepted"
		}
		return ""
	}
	if len(line)+2 > 512 {
		return "500 5.5.2 line too long"
	}
	verb, arg, _ := strings.Cut(line, " ")
	switch strings.ToUpper(verb) {
	case "EHLO", "HELO", "LHLO":
		if arg == "" {
			return "501 5.5.4 a domain is needed"
		}
		m.Greeted, m.Mail, m.Rcpt = true, false, false
		if strings.EqualFold(verb, "HELO") {
			return "250 scripted.test"
		}
		return scriptReply("250", append([]string{"scripted.test"}, m.Ext...)...)
	case "MAIL":
		switch {
		case !m.Greeted || m.Mail:
			return "503 5.5.1 bad sequence of commands"
		case !scriptPath(arg, "FROM:"):
			return "501 5.5.4 syntax: MAIL FROM:<address>"
		}
		m.Mail = true
		return "250 2.1.0 ok"
	case "RCPT":
		switch {
		case !m.Mail:
			return "503 5.5.1 bad sequence of commands"
		case !scriptPath(arg, "TO:"):
			return "501 5.5.4 syntax: RCPT TO:<address>"
		}
		m.Rcpt = true
		return "250 2.1.5 ok"
	case "DATA":
		switch {
		case arg != "":
			return "501 5.5.4 syntax: DATA"
		case !m.Rcpt:
			return "503 5.5.1 bad sequence of commands"
		}
		m.Data = true
		return "354 go ahead"
	case "RSET":
		if arg != "" {
			return "501 5.5.4 syntax: RSET"
		}
		m.Mail, m.Rcpt = false, false
		return "250 2.0.0 ok"
	case "NOOP":
		return "250 2.0.0 ok"
	case "QUIT":
		if arg != "" {
			return "501 5.5.4 syntax: QUIT"
		}
		return "221 2.0.0 bye" + scriptClose
	case "HELP":
		return "214 2.0.0 see RFC 5321"
	case "VRFY":
		if arg == "" {
			return "501 5.5.4 syntax: VRFY name"
		}
		return "252 2.5.0 cannot verify"
	case "EXPN", "TURN", "ATRN", "BURL", "SEND", "SOML", "SAML":
		return "502 5.5.1 not implemented"
	}
	return "500 5.5.2 command unrecognized"
}

// scriptReply writes a reply of one or more lines with code: "ddd-" before
// every line but the last, "ddd " before the last, CRLF between them.
func scriptReply(code string, lines ...string) string {
	var b strings.Builder
	for i, l := range lines {
		if i < len(lines)-1 {
			b.WriteString(code + "-" + l + "\r\n")
		} else {
			b.WriteString(code + " " + l)
		}
	}
	return b.String()
}

// scriptPath reports whether arg is keyword then a bracketed path,
// parameters aside.
func scriptPath(arg, keyword string) bool {
	if len(arg) < len(keyword) || !strings.EqualFold(arg[:len(keyword)], keyword) {
		return false
	}
	path, _, _ := strings.Cut(arg[len(keyword):], " ")
	return len(path) >= 2 && path[0] == '<' && path[len(path)-1] == '>'
}
