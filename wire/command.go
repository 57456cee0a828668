package wire

import (
	"bytes"
	"errors"
	"unicode/utf8"

	"github.com/smtpkit/smtpkit/reply"
)

// ParseOptions adjusts ParseCommand.
type ParseOptions struct {
	// UTF8 says SMTPUTF8 is in effect (RFC 6531 section 3.2): for MAIL, the
	// server advertised SMTPUTF8, and a non-ASCII reverse-path still needs
	// the SMTPUTF8 parameter on the command; for RCPT, the transaction was
	// opened with it; for VRFY and EXPN, the server advertised it. Without
	// it, non-ASCII in a path or argument is refused with ErrUTF8NotAllowed
	// (553 5.6.7, RFC 6531 section 3.6.1).
	UTF8 bool
	// Lenient accepts what many servers accept although RFC 5321 forbids
	// it: spaces between the verb and its argument and after the colon of
	// "MAIL FROM:" and "RCPT TO:" (RFC 5321 section 3.3 forbids them), a
	// mailbox without angle brackets, and any printable HELO/EHLO argument.
	// The default is the strict grammar.
	Lenient bool
}

// Command is a parsed command line. Which fields are set depends on Verb;
// every slice aliases the line given to ParseCommand and is valid until that
// buffer is reused.
type Command struct {
	Verb Verb
	// Name is the verb as received, in its original case.
	Name []byte
	// Arg is everything after the verb and its space, trailing white space
	// removed (RFC 5321 section 4.1.1 asks servers to tolerate it). For
	// unknown and historic verbs it is the only parsed field.
	Arg []byte

	// Domain is the HELO, EHLO or LHLO argument (Domain or
	// address-literal), the ETRN node name without its option character,
	// or the comma-separated ATRN domain list.
	Domain []byte
	// Literal tells whether Domain is an address literal, and which kind.
	Literal LiteralKind
	// Path is the MAIL reverse-path or the RCPT forward-path.
	Path Path
	// Params holds the ESMTP parameters of MAIL, RCPT, VRFY and EXPN, and
	// the attributes of XCLIENT and XFORWARD.
	Params Params

	// Mechanism is the AUTH mechanism name as received.
	Mechanism []byte
	// InitialResponse is the base64 initial response of AUTH, as sent. It
	// is empty when HasInitialResponse is true and the client sent "=".
	InitialResponse    []byte
	HasInitialResponse bool

	// ChunkSize is the BDAT chunk size in octets.
	ChunkSize uint64
	// Last is set by "BDAT n LAST" and "BURL uri LAST".
	Last bool
	// URL is the BURL absolute-URI.
	URL []byte
	// NodeOption is the ETRN option character, '@' or '#', or 0.
	NodeOption byte
}

// ParseCommand parses one command line, without its CRLF, for every verb
// of RFC 5321 and the extensions this package knows.
//
// An unknown verb is not an error: the result has Verb VerbUnknown and the
// caller answers 500 (RFC 5321 section 4.2.4). Historic verbs (SEND, SOML,
// SAML, TURN) are recognised with their raw Arg so the caller can answer 502.
// Errors are *SyntaxError values whose Reply method gives the RFC's reply
// (501 for bad arguments, 555 for parameter problems, 553 for non-ASCII
// without SMTPUTF8). ParseCommand does not allocate unless it fails.
func ParseCommand(line []byte, opts ParseOptions) (Command, error) {
	line = trimRightSpace(line)
	if len(line) == 0 {
		e := errAt("command", 0, "RFC 5321 4.1.1", "empty command line", ErrSyntax)
		e.Code, e.Enhanced = reply.CodeSyntaxError, reply.E(5, 5, 2)
		return Command{}, e
	}
	var c Command
	end := bytes.IndexByte(line, ' ')
	if end < 0 {
		end = len(line)
	}
	if end == 0 {
		// RFC 5321 4.1.1: a command starts with its verb.
		e := errAt("command", 0, "RFC 5321 4.1.1", "command line starts with a space", ErrSyntax)
		e.Code, e.Enhanced = reply.CodeSyntaxError, reply.E(5, 5, 2)
		return Command{}, e
	}
	c.Name = line[:end]
	c.Verb = LookupVerb(c.Name)
	argOff := end
	if argOff < len(line) {
		argOff++ // the SP after the verb
		if opts.Lenient {
			for argOff < len(line) && (line[argOff] == ' ' || line[argOff] == '\t') {
				argOff++
			}
		}
		c.Arg = line[argOff:]
	}
	var err error
	switch c.Verb {
	case VerbUnknown, VerbSEND, VerbSOML, VerbSAML, VerbTURN:
		// Unknown or historic: the caller answers 500 or 502.
	case VerbHELO, VerbEHLO, VerbLHLO:
		err = c.parseHello(argOff, opts)
	case VerbMAIL:
		err = c.parseMailRcpt(argOff, "FROM:", ReversePath, opts)
	case VerbRCPT:
		err = c.parseMailRcpt(argOff, "TO:", ForwardPath, opts)
	case VerbDATA, VerbRSET, VerbQUIT, VerbSTARTTLS:
		if len(c.Arg) > 0 {
			// RFC 5321 4.1.1.4/5/10 and RFC 3207 section 4 define these
			// verbs without arguments; 501 answers one (RFC 5321 4.3.2).
			err = errAt(c.Verb.String(), argOff, "RFC 5321 4.3.2", c.Verb.String()+" takes no argument", ErrUnexpectedArgument)
		}
	case VerbNOOP, VerbHELP:
		// RFC 5321 4.1.1.8-9: an optional String that NOOP ignores and
		// HELP reads as a topic; any octets but controls are taken.
		if i := firstNonPrintable(c.Arg, true); i >= 0 {
			err = errAt(c.Verb.String(), argOff+i, "RFC 5321 4.1.1.9", "control character in argument", ErrSyntax)
		}
	case VerbVRFY, VerbEXPN:
		err = c.parseVrfyExpn(argOff, opts)
	case VerbBDAT:
		err = c.parseBdat(argOff)
	case VerbAUTH:
		err = c.parseAuth(argOff)
	case VerbETRN:
		err = c.parseEtrn(argOff, opts)
	case VerbATRN:
		err = c.parseAtrn(argOff, opts)
	case VerbBURL:
		err = c.parseBurl(argOff)
	case VerbXCLIENT, VerbXFORWARD:
		err = c.parseXAttrs(argOff)
	}
	if err != nil {
		return Command{}, err
	}
	return c, nil
}

// parseHello handles "HELO" SP Domain and "EHLO"/"LHLO" SP ( Domain /
// address-literal ) (RFC 5321 4.1.1.1, RFC 2033 4.1). HELO with an address
// literal is accepted too: clients without a name send "HELO [192.0.2.1]".
// The name is ASCII whatever opts.UTF8 says (RFC 6531 3.7.1).
func (c *Command) parseHello(off int, opts ParseOptions) error {
	name := c.Verb.String()
	if len(c.Arg) == 0 {
		return errAt(name, off, "RFC 5321 4.1.1.1", name+" needs a domain or address literal", ErrMissingArgument)
	}
	arg := c.Arg
	if opts.Lenient {
		// Take the first word; many clients append text or send a bare
		// host name with characters DNS does not allow.
		if i := bytes.IndexAny(arg, " \t"); i >= 0 {
			arg = arg[:i]
		}
		if len(arg) == 0 {
			return errAt(name, off, "RFC 5321 4.1.1.1", name+" needs a domain or address literal", ErrMissingArgument)
		}
		if i := firstNonPrintable(arg, true); i >= 0 {
			return errAt(name, off+i, "RFC 5321 4.1.1.1", "control character in "+name+" argument", ErrSyntax)
		}
		c.Domain = arg
		if arg[0] == '[' {
			// Only the literal kind matters here; a malformed literal is
			// taken as a name, like any other odd argument.
			c.Literal, _ = CheckAddressLiteral(arg)
		}
		return nil
	}
	if i := bytes.IndexByte(arg, ' '); i >= 0 {
		return errAt(name, off+i, "RFC 5321 4.1.1.1", name+" takes one argument", ErrSyntax)
	}
	// RFC 6531 section 3.7.1: the client cannot know whether SMTPUTF8 is
	// offered before EHLO, so the name is ASCII (LDH or A-labels) always.
	kind, err := CheckHost(arg, false)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			se.Offset += off
			se.Code, se.Enhanced = reply.CodeParamSyntaxError, reply.E(5, 5, 4)
		}
		return err
	}
	c.Domain, c.Literal = arg, kind
	return nil
}

// parseMailRcpt handles "MAIL FROM:" Reverse-path [SP Mail-parameters] and
// "RCPT TO:" Forward-path [SP Rcpt-parameters] (RFC 5321 4.1.1.2-3, 4.1.2).
func (c *Command) parseMailRcpt(off int, prefix string, kind PathKind, opts ParseOptions) error {
	name := c.Verb.String()
	arg := c.Arg
	if len(arg) < len(prefix) || !equalFold(arg[:len(prefix)], prefix) {
		return errAt(name, off, "RFC 5321 4.1.1.2", name+" needs \""+prefix+"\"", ErrSyntax)
	}
	i := len(prefix)
	if opts.Lenient {
		for i < len(arg) && arg[i] == ' ' {
			i++
		}
	}
	if i == len(arg) {
		return errAt(name, off+i, "RFC 5321 4.1.1.2", name+" needs a path", ErrMissingArgument)
	}
	p, n, err := ParsePath(arg[i:], kind, PathOptions{UTF8: opts.UTF8, NoBrackets: opts.Lenient})
	if err != nil {
		return pathErr(shiftErr(err, off+i), kind)
	}
	c.Path = p
	i += n
	if i < len(arg) {
		if arg[i] != ' ' {
			return pathErr(errAt(name, off+i, "RFC 5321 4.1.2", "path must be followed by SP or the end of the line", ErrSyntax), kind)
		}
		i++
		if opts.Lenient {
			for i < len(arg) && arg[i] == ' ' {
				i++
			}
		}
		c.Params = Params{Text: arg[i:], Offset: off + i}
		if err := c.Params.Validate(); err != nil {
			return err
		}
	}
	if kind == ReversePath && p.UTF8 && !c.Params.Has("SMTPUTF8") {
		// RFC 6531 section 3.4: a non-ASCII reverse-path needs the
		// SMTPUTF8 parameter on this MAIL command; section 3.5: 550 5.6.7.
		e := errAt("reverse-path", off+len(prefix), "RFC 6531 3.4", "non-ASCII reverse-path without the SMTPUTF8 parameter", ErrUTF8NotAllowed)
		e.Code, e.Enhanced = reply.CodeMailboxUnavailable, reply.E(5, 6, 7)
		return e
	}
	return nil
}

// pathErr gives a path syntax error the reply RFC 3463 assigns: 501 with
// X.1.7 (bad sender's mailbox address syntax) for MAIL and X.1.3 (bad
// destination mailbox address syntax) for RCPT. Errors that already carry a
// reply, or whose sentinel has its own (non-ASCII: 553 5.6.7), keep it.
func pathErr(err error, kind PathKind) error {
	var se *SyntaxError
	if !errors.As(err, &se) || se.Code != 0 || errors.Is(err, ErrUTF8NotAllowed) {
		return err
	}
	se.Code = reply.CodeParamSyntaxError
	se.Enhanced = reply.E(5, 1, 3)
	if kind == ReversePath {
		se.Enhanced = reply.E(5, 1, 7)
	}
	return err
}

// parseVrfyExpn handles "VRFY"/"EXPN" SP String [SP "SMTPUTF8"] (RFC 5321
// 4.1.1.6-7, RFC 6531 section 3.7.4.2). The String is taken as the rest of
// the line: clients send mailboxes, names with spaces and angle brackets.
func (c *Command) parseVrfyExpn(off int, opts ParseOptions) error {
	name := c.Verb.String()
	arg := c.Arg
	if len(arg) == 0 {
		return errAt(name, off, "RFC 5321 4.1.1.6", name+" needs an argument", ErrMissingArgument)
	}
	if i := bytes.LastIndexByte(arg, ' '); i > 0 && equalFold(arg[i+1:], "SMTPUTF8") {
		c.Params = Params{Text: arg[i+1:], Offset: off + i + 1}
		arg = trimRightSpace(arg[:i])
		if len(trimLeftSpace(arg)) == 0 {
			return errAt(name, off, "RFC 6531 3.7.4.2", name+" needs a String before SMTPUTF8", ErrMissingArgument)
		}
	}
	if err := checkText(arg, off, name, opts.UTF8); err != nil {
		return err
	}
	c.Arg = arg
	return nil
}

// parseBdat handles "BDAT" SP chunk-size [SP end-marker], chunk-size =
// 1*DIGIT, end-marker = "LAST" (RFC 3030 section 2).
func (c *Command) parseBdat(off int) error {
	arg := c.Arg
	if len(arg) == 0 {
		return errAt("chunk-size", off, "RFC 3030 2", "BDAT needs a chunk size", ErrMissingArgument)
	}
	i := 0
	var size uint64
	for i < len(arg) && arg[i] >= '0' && arg[i] <= '9' {
		d := uint64(arg[i] - '0')
		if size > (1<<64-1-d)/10 {
			return errAt("chunk-size", off+i, "RFC 3030 2", "chunk size does not fit in 64 bits", ErrSyntax)
		}
		size = size*10 + d
		i++
	}
	if i == 0 {
		return errAt("chunk-size", off, "RFC 3030 2", "chunk size must be decimal digits", ErrSyntax)
	}
	c.ChunkSize = size
	if i == len(arg) {
		return nil
	}
	if arg[i] != ' ' || !equalFold(arg[i+1:], "LAST") {
		return errAt("end-marker", off+i, "RFC 3030 2", "only \"LAST\" may follow the chunk size", ErrSyntax)
	}
	c.Last = true
	return nil
}

// parseAuth handles "AUTH" SP sasl-mech [SP initial-response], where
// initial-response is base64 or "=" for an empty response (RFC 4954 section
// 4) and sasl-mech is 1*20 of upper-case letters, digits, "-" and "_" (RFC
// 4422 section 3.1; names are matched ignoring case, so lower case is taken).
func (c *Command) parseAuth(off int) error {
	arg := c.Arg
	if len(arg) == 0 {
		return errAt("sasl-mech", off, "RFC 4954 4", "AUTH needs a mechanism", ErrMissingArgument)
	}
	end := bytes.IndexByte(arg, ' ')
	if end < 0 {
		end = len(arg)
	}
	mech := arg[:end]
	if err := checkMechanism(mech, off); err != nil {
		return err
	}
	c.Mechanism = mech
	if end == len(arg) {
		return nil
	}
	ir := arg[end+1:]
	c.HasInitialResponse = true
	if len(ir) == 1 && ir[0] == '=' {
		return nil // "=": present but empty (RFC 4954 section 4)
	}
	if i := checkBase64(ir); i >= 0 {
		e := errAt("initial-response", off+end+1+i, "RFC 4954 4", "initial response is not base64", ErrSyntax)
		e.Code, e.Enhanced = reply.CodeParamSyntaxError, reply.E(5, 5, 2)
		return e
	}
	c.InitialResponse = ir
	return nil
}

// checkMechanism checks a SASL mechanism name: 1*20 of letters, digits, "-"
// and "_" (RFC 4422 section 3.1; lower case is taken since names compare
// ignoring case). off is added to error offsets.
func checkMechanism(mech []byte, off int) error {
	if len(mech) == 0 {
		return errAt("sasl-mech", off, "RFC 4422 3.1", "empty mechanism name", ErrMissingArgument)
	}
	if len(mech) > 20 {
		return errAt("sasl-mech", off+20, "RFC 4422 3.1", "mechanism name longer than 20 characters", ErrSyntax)
	}
	for i, ch := range mech {
		if !isAlnum(ch) && ch != '-' && ch != '_' {
			return errAt("sasl-mech", off+i, "RFC 4422 3.1", "bad character in mechanism name", ErrSyntax)
		}
	}
	return nil
}

// parseEtrn handles "ETRN" SP [ "@" / "#" ] node-name (RFC 1985 section 5):
// "@" asks for a domain and its subdomains, "#" names a queue; without an
// option the node is a host (Domain or address literal).
func (c *Command) parseEtrn(off int, opts ParseOptions) error {
	arg := c.Arg
	if len(arg) == 0 {
		return errAt("node-name", off, "RFC 1985 5", "ETRN needs a node name", ErrMissingArgument)
	}
	if arg[0] == '@' || arg[0] == '#' {
		c.NodeOption = arg[0]
		arg = arg[1:]
		off++
	}
	if len(arg) == 0 {
		return errAt("node-name", off, "RFC 1985 5", "ETRN needs a node name", ErrMissingArgument)
	}
	if c.NodeOption == '#' {
		// A queue name is site-defined: any printable word.
		for i, ch := range arg {
			if ch <= ' ' || ch >= 0x7f {
				return errAt("node-name", off+i, "RFC 1985 5", "bad character in queue name", ErrSyntax)
			}
		}
	} else if kind, err := CheckHost(arg, opts.UTF8); err != nil {
		return shiftErr(err, off)
	} else {
		c.Literal = kind
	}
	c.Domain = arg
	return nil
}

// parseAtrn handles "ATRN" [SP domain *("," domain)] (RFC 2645 section 5).
func (c *Command) parseAtrn(off int, opts ParseOptions) error {
	rest := c.Arg
	if len(rest) == 0 {
		return nil
	}
	pos := off
	for {
		d := rest
		i := bytes.IndexByte(rest, ',')
		if i >= 0 {
			d = rest[:i]
		}
		if err := CheckDomain(d, opts.UTF8); err != nil {
			return shiftErr(err, pos)
		}
		if i < 0 {
			break
		}
		rest = rest[i+1:]
		pos += i + 1
	}
	c.Domain = c.Arg
	return nil
}

// parseBurl handles "BURL" SP absolute-URI [SP end-marker] (RFC 4468
// section 3.3). The URI is checked for shape (scheme ":" then printable
// octets), not resolved.
func (c *Command) parseBurl(off int) error {
	arg := c.Arg
	if len(arg) == 0 {
		return errAt("absolute-URI", off, "RFC 4468 3.3", "BURL needs a URI", ErrMissingArgument)
	}
	if i := bytes.IndexByte(arg, ' '); i >= 0 {
		if !equalFold(arg[i+1:], "LAST") {
			return errAt("end-marker", off+i, "RFC 4468 3.3", "only \"LAST\" may follow the URI", ErrSyntax)
		}
		c.Last = true
		arg = arg[:i]
	}
	colon := bytes.IndexByte(arg, ':')
	if colon <= 0 || !isAlpha(arg[0]) {
		return errAt("absolute-URI", off, "RFC 4468 3.3", "BURL needs an absolute URI", ErrSyntax)
	}
	for i, ch := range arg {
		if ch <= ' ' || ch >= 0x7f || (i < colon && !isAlnum(ch) && ch != '+' && ch != '-' && ch != '.') {
			return errAt("absolute-URI", off+i, "RFC 3986 4.3", "bad character in URI", ErrSyntax)
		}
	}
	c.URL = arg
	return nil
}

// parseXAttrs handles "XCLIENT"/"XFORWARD" 1*( SP attribute-name "="
// attribute-value ) (Postfix XCLIENT_README, XFORWARD_README).
func (c *Command) parseXAttrs(off int) error {
	c.Params = Params{Text: c.Arg, Offset: off}
	_, err := DecodeXAttrs(c.Verb, c.Params)
	return err
}

// checkBase64 returns the index of the first octet that breaks strict
// base64 (RFC 4954 section 8: groups of four from A-Z a-z 0-9 + /, "="
// padding only at the end), or -1 when b is valid. Empty input is valid.
func checkBase64(b []byte) int {
	for i, ch := range b {
		if !isBase64(ch) {
			if ch == '=' && (i == len(b)-1 || (i == len(b)-2 && b[i+1] == '=')) && len(b)%4 == 0 {
				return -1
			}
			return i
		}
	}
	if len(b)%4 != 0 {
		return len(b)
	}
	return -1
}

func isBase64(c byte) bool { return isAlnum(c) || c == '+' || c == '/' }

// checkText accepts a free-text argument (VRFY, EXPN, HELP, NOOP): octets
// from SP to "~" and HT, and UTF-8 when utf8 is set.
func checkText(b []byte, off int, element string, allowUTF8 bool) error {
	if i := firstNonPrintable(b, true); i >= 0 {
		return errAt(element, off+i, "RFC 5321 4.1.2", "control character in argument", ErrSyntax)
	}
	for i, ch := range b {
		if ch >= 0x80 {
			if !allowUTF8 {
				return errAt(element, off+i, "RFC 6531 3.7.4.2", "non-ASCII argument without SMTPUTF8", ErrUTF8NotAllowed)
			}
			if !utf8.Valid(b) {
				return errAt(element, off+i, "RFC 3629 4", "argument is not valid UTF-8", ErrInvalidUTF8)
			}
			break
		}
	}
	return nil
}

// firstNonPrintable returns the index of the first control octet (other
// than HT) in b, or of the first octet over 0x7E when highOK is false, or -1.
func firstNonPrintable(b []byte, highOK bool) int {
	for i, ch := range b {
		if (ch < ' ' && ch != '\t') || ch == 0x7f || (!highOK && ch > 0x7f) {
			return i
		}
	}
	return -1
}

func trimLeftSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

func trimRightSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
