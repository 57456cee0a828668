package reply

// Default limits of a Builder whose MaxLines or MaxText is zero.
const (
	// DefaultMaxLines bounds the lines of one reply. Real replies have a
	// few lines, an EHLO reply a few dozen.
	DefaultMaxLines = 512
	// DefaultMaxText bounds the text of one reply in octets, after the
	// enhanced codes are removed and counting one octet per line break.
	DefaultMaxText = 64 << 10
)

// Builder assembles a Reply from the lines a client receives, one Add per
// line (RFC 5321 section 4.2). The wire layer splits and parses each line
// into its code, its separator ("-" or " ") and its text.
//
// The enhanced status code is taken from the first line when its class is
// the first digit of the code (RFC 3463 section 2, RFC 2034 section 4); a
// later line that repeats the same code has it removed. So
// "250-234 Text beginning with numbers" keeps its text: "234" is not an
// enhanced code.
//
// The zero Builder is ready to use. Its buffers are reused from reply to
// reply, so steady-state Add calls do not allocate. A Builder is not safe
// for concurrent use.
type Builder struct {
	// MaxLines is the most lines one reply may have; zero means
	// DefaultMaxLines.
	MaxLines int
	// MaxText is the most text octets one reply may have; zero means
	// DefaultMaxText.
	MaxText int

	code  Code
	enh   Enhanced
	text  []byte
	lines int
	done  bool
}

// Reset discards the reply being built and keeps the buffers.
func (b *Builder) Reset() {
	b.code = 0
	b.enh = Enhanced{}
	b.text = b.text[:0]
	b.lines = 0
	b.done = false
}

// Code returns the code of the reply being built, or zero before the first
// line.
func (b *Builder) Code() Code { return b.code }

// Add adds one line of a reply: its code, whether more lines follow (the
// separator was "-"), and the text after "ddd-" or "ddd " (empty for a bare
// "ddd" line). It reports done when the line was the last. text is copied,
// so the caller may reuse it.
//
// Add returns a *CodeMismatchError (matching ErrCodeMismatch) when code is
// not the code of the first line, and ErrReplyTooLong when the reply grows
// past MaxLines or MaxText. After an error, or after a completed reply, the
// next Add starts a new reply.
func (b *Builder) Add(code Code, more bool, text []byte) (done bool, err error) {
	if b.done || b.lines == 0 {
		b.Reset()
		b.code = code
		if cl := code.Class(); cl == ClassPositive || cl == ClassTransient || cl == ClassPermanent {
			if e, rest, ok := ParseEnhancedPrefix(text); ok && Class(e.Class) == cl {
				b.enh, text = e, rest
			}
		}
	} else {
		if code != b.code {
			err := &CodeMismatchError{Line: b.lines + 1, Want: b.code, Got: code}
			b.Reset()
			return false, err
		}
		if !b.enh.IsZero() {
			if e, rest, ok := ParseEnhancedPrefix(text); ok && e == b.enh {
				text = rest
			}
		}
	}

	maxLines, maxText := b.MaxLines, b.MaxText
	if maxLines <= 0 {
		maxLines = DefaultMaxLines
	}
	if maxText <= 0 {
		maxText = DefaultMaxText
	}
	sep := 0
	if b.lines > 0 {
		sep = 1
	}
	if b.lines+1 > maxLines || len(b.text)+sep+len(text) > maxText {
		b.Reset()
		return false, ErrReplyTooLong
	}
	if sep == 1 {
		b.text = append(b.text, '\n')
	}
	b.text = append(b.text, text...)
	b.lines++
	b.done = !more
	return b.done, nil
}

// Reply returns the reply built so far, normally after Add reported done.
// The lines of the text are joined by "\n". It allocates the text once.
func (b *Builder) Reply() Reply {
	return Reply{Code: b.code, Enhanced: b.enh, Text: string(b.text)}
}
