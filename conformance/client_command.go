package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Environment variables a CommandClient's program receives.
const (
	// EnvUser and EnvPassword hold the credentials for jobs with AUTH. The
	// password is never put on the command line by the suite: a template
	// that must pass it as an argument runs through a shell, for example
	// sh -c 'exec swaks ... --auth-password "$SMTPKIT_PASSWORD"'.
	EnvUser     = "SMTPKIT_USER"
	EnvPassword = "SMTPKIT_PASSWORD"
)

// CommandClient is any program as the client under test, run once per
// case from a command template; exit status 0 means the program says it
// delivered the message, anything else that it did not. Its output
// (stdout and stderr) goes into the case's transcript.
//
// A template is split into words like a shell does (spaces separate,
// single quotes keep text as is, double quotes allow \" and \\, a
// backslash escapes the next character; nothing is expanded) and then, in
// every word, these placeholders are replaced:
//
//	{addr}          the scripted server's 127.0.0.1:port
//	{host} {port}   its two halves
//	{helo}          the name to give in EHLO (Config.Helo)
//	{from}          the envelope sender
//	{to}            the recipients, joined with commas
//	{to...}         one word per recipient; when the word is just {to...}
//	                and the word before it is an option (begins with -,
//	                has no = or placeholder), that option is repeated
//	                before each recipient:
//	                "--mail-rcpt {to...}" becomes
//	                "--mail-rcpt a@x --mail-rcpt b@x"
//	{user}          the user name of jobs with AUTH
//	{message-file}  a file holding the message, as the job gives it
//	{ca-file}       a PEM file with the root that signed the server's
//	                certificate (for the client to verify it)
//
// There is no {password}: the program gets the credentials in the
// environment variables SMTPKIT_USER and SMTPKIT_PASSWORD. Inside a sh -c
// clScript the placeholders are replaced as is, without shell quoting (the
// suite's values hold no shell metacharacters).
type CommandClient struct {
	// Template runs for jobs that ask for neither TLS nor AUTH. The
	// program should use STARTTLS when offered, or not, as it does by
	// default; the suite's plain cases do not offer it.
	Template string
	// TLSTemplate runs for jobs that require STARTTLS (ClientJob.TLS): the
	// program must refuse to send without TLS. Empty skips those cases.
	TLSTemplate string
	// AuthTemplate runs for jobs with AUTH (ClientJob.Auth, with or
	// without TLS): the program authenticates with the credentials and
	// uses STARTTLS when offered. Empty skips those cases.
	AuthTemplate string
	// Env are extra environment variables ("NAME=value").
	Env []string
}

// Name describes the client by its template.
func (c CommandClient) Name() string { return "command: " + c.Template }

// Validate reports a template that cannot run.
func (c CommandClient) Validate() error {
	if strings.TrimSpace(c.Template) == "" {
		return errors.New("conformance: the client command template is empty")
	}
	for _, t := range []string{c.Template, c.TLSTemplate, c.AuthTemplate} {
		if strings.Contains(t, "{password}") {
			return fmt.Errorf("conformance: a client command template may not hold {password}: the program gets it in $%s", EnvPassword)
		}
		if _, err := clSplitWords(t); err != nil {
			return err
		}
	}
	return nil
}

// Send runs the template chosen for the job and bounded by ctx.
func (c CommandClient) Send(ctx context.Context, a *ClientAttempt) (string, error) {
	if err := c.Validate(); err != nil {
		return "", err
	}
	tmpl := c.Template
	switch {
	case a.Job.Auth && c.AuthTemplate == "":
		return "", Skip("the client command has no template for jobs with AUTH")
	case a.Job.Auth:
		tmpl = c.AuthTemplate
	case a.Job.TLS && c.TLSTemplate == "":
		return "", Skip("the client command has no template for jobs that require TLS")
	case a.Job.TLS:
		tmpl = c.TLSTemplate
	}
	msgFile := filepath.Join(a.Dir, "message.eml")
	if err := os.WriteFile(msgFile, []byte(a.Job.Message), 0o600); err != nil {
		return "", err
	}
	words, err := clExpandTemplate(tmpl, a, msgFile)
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, words[0], words[1:]...)
	cmd.Dir = a.Dir
	cmd.Env = append(os.Environ(), EnvUser+"="+a.Username, EnvPassword+"="+a.Password)
	cmd.Env = append(cmd.Env, c.Env...)
	cmd.WaitDelay = time.Second
	out := &clOutput{max: 256 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Run()
	switch {
	case err == nil:
		return out.String(), nil
	case ctx.Err() != nil:
		return out.String(), fmt.Errorf("%s was stopped at the case's time bound: %v", filepath.Base(words[0]), err)
	}
	return out.String(), fmt.Errorf("%s: %v", filepath.Base(words[0]), err)
}

// clExpandTemplate splits the template and replaces the placeholders.
func clExpandTemplate(tmpl string, a *ClientAttempt, msgFile string) ([]string, error) {
	words, err := clSplitWords(tmpl)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, errors.New("conformance: the client command template is empty")
	}
	host, port, _ := net.SplitHostPort(a.Addr)
	r := strings.NewReplacer("{addr}", a.Addr, "{host}", host, "{port}", port, "{helo}", a.Helo,
		"{from}", a.Job.From, "{to}", strings.Join(a.Job.To, ","), "{user}", a.Username,
		"{message-file}", msgFile, "{ca-file}", a.CAFile)
	var out []string
	for i, w := range words {
		switch {
		case w == "{to...}" && i > 0 && clIsOption(words[i-1]):
			opt := out[len(out)-1]
			out = out[:len(out)-1]
			for _, to := range a.Job.To {
				out = append(out, opt, to)
			}
		case strings.Contains(w, "{to...}"):
			for _, to := range a.Job.To {
				out = append(out, r.Replace(strings.ReplaceAll(w, "{to...}", to)))
			}
		default:
			out = append(out, r.Replace(w))
		}
	}
	return out, nil
}

// clIsOption reports whether a template word is an option that takes the
// next word as its value: it begins with "-", holds no "=" and no
// placeholder.
func clIsOption(w string) bool {
	return strings.HasPrefix(w, "-") && !strings.ContainsAny(w, "={")
}

// clSplitWords splits a command line into words the way a shell does for
// quotes and backslashes, without expanding anything.
func clSplitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case ch == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("conformance: unclosed ' in the client command %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case ch == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("conformance: unclosed \" in the client command %q", s)
			}
			inWord = true
		case ch == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// clOutput keeps the first max octets written to it; the program's
// stdout and stderr share it.
type clOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *clOutput) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *clOutput) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// SwaksClient is swaks (https://jetmore.org/john/code/swaks/) as the
// client under test: --to takes the recipients comma-joined, -tls requires
// STARTTLS, -tlsos uses it when offered, and the password reaches
// --auth-password through a shell from $SMTPKIT_PASSWORD.
func SwaksClient() CommandClient {
	const base = "swaks --server {addr} --helo {helo} --from {from} --to {to} --data @{message-file} --timeout 20"
	return CommandClient{
		Template:    base,
		TLSTemplate: base + " -tls --tls-verify --tls-ca-path {ca-file}",
		AuthTemplate: "sh -c 'exec " + base + " -tlsos --tls-verify --tls-ca-path {ca-file}" +
			` --auth --auth-user {user} --auth-password "$SMTPKIT_PASSWORD" --auth-hide-password'`,
	}
}

// CurlClient is curl's SMTP client as the client under test: one
// --mail-rcpt per recipient, --ssl-reqd to require STARTTLS, --ssl to use
// it when offered, and the password reaches --user through a shell from
// $SMTPKIT_PASSWORD (jobs with AUTH have one recipient).
func CurlClient() CommandClient {
	const base = "curl -sS --max-time 20 --url smtp://{addr}/{helo} --mail-from {from} --upload-file {message-file}"
	return CommandClient{
		Template:    base + " --mail-rcpt {to...}",
		TLSTemplate: base + " --mail-rcpt {to...} --ssl-reqd --cacert {ca-file}",
		AuthTemplate: "sh -c 'exec " + base + " --mail-rcpt {to} --ssl --cacert {ca-file}" +
			` --user "{user}:$SMTPKIT_PASSWORD"'`,
	}
}
