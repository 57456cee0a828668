package state

import (
	"bytes"
	"time"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// mail checks MAIL beyond its syntax and asks the application.
func (s *Server) mail(cmd *wire.Command) bool {
	p, err := wire.DecodeMailParams(cmd.Params, s.exts)
	if err != nil {
		s.reject(replyOf(err), err)
		return true
	}
	if m := s.cfg.Limits.MailMax; m > 0 && s.nTx >= m {
		// RFC 9422 section 4.1: MAILMAX transactions per session.
		s.reject(replyTooManyTx, ErrBusy)
		return true
	}
	if max := s.cfg.MaxMessageSize; max > 0 && p.HasSize && p.Size > uint64(max) {
		// RFC 1870 section 6.1: a declared size over the fixed maximum.
		s.reject(replyTooBig, wire.ErrMessageTooBig)
		return true
	}
	if p.HasHoldFor && time.Duration(p.HoldFor) > s.cfg.FutureReleaseMax/time.Second ||
		!p.HoldUntil.IsZero() && p.HoldUntil.After(s.now.Add(s.cfg.FutureReleaseMax)) {
		// RFC 4865 section 3: beyond the advertised maximum.
		s.reject(replyHoldTooFar, wire.ErrBadParamValue)
		return true
	}
	s.emit(EventMail, cmd).Mail = p
	return true
}

// rcpt checks RCPT beyond its syntax and asks the application.
func (s *Server) rcpt(cmd *wire.Command) bool {
	p, err := wire.DecodeRcptParams(cmd.Params, s.exts)
	if err != nil {
		s.reject(replyOf(err), err)
		return true
	}
	if s.tx.rcpts >= s.cfg.MaxRecipients {
		// RFC 5321 section 4.5.3.1.10: 452, not 552, for too many.
		s.reject(replyTooManyRcp, ErrBusy)
		return true
	}
	if m := s.cfg.Limits.RcptDomainMax; m > 0 && len(s.tx.domEnds) >= m && !s.knownDomain(cmd.Path.Domain) {
		// RFC 9422 section 4.3.
		s.reject(replyTooManyDom, ErrBusy)
		return true
	}
	s.emit(EventRcpt, cmd).Rcpt = p
	return true
}

// knownDomain reports whether a recipient of the transaction has domain d.
func (s *Server) knownDomain(d []byte) bool {
	start := 0
	for _, end := range s.tx.domEnds {
		if bytes.EqualFold(s.tx.domains[start:end], d) {
			return true
		}
		start = end
	}
	return false
}

// addRecipient records the recipient of the pending RCPT.
func (s *Server) addRecipient(p wire.Path) {
	s.tx.rcpts++
	box := p.Mailbox
	if p.Postmaster {
		box = []byte("Postmaster")
	}
	s.tx.boxes = append(s.tx.boxes, box...)
	s.tx.ends = append(s.tx.ends, len(s.tx.boxes))
	if len(p.Domain) > 0 && !s.knownDomain(p.Domain) {
		s.tx.domains = append(s.tx.domains, p.Domain...)
		s.tx.domEnds = append(s.tx.domEnds, len(s.tx.domains))
	}
	s.phase = PhaseRcpt
}

// endTransaction closes the transaction, whatever became of it.
func (s *Server) endTransaction() {
	s.tx.reset()
	s.phase, s.mode = PhaseReady, readLines
	s.dataSize = 0
}

// startData begins reading DATA content after a 354.
func (s *Server) startData() {
	s.data = wire.DataDecoder{
		Policy:        s.cfg.BareData,
		AllowNUL:      s.cfg.AllowNUL,
		MaxSize:       s.cfg.MaxMessageSize,
		MaxLineLength: s.cfg.MaxDataLine,
	}
	s.phase, s.mode = PhaseData, readData
	s.dataStart, s.dataSize = s.now, 0
}

// readData consumes message content up to CRLF "." CRLF (RFC 5321 section
// 4.1.1.4), reporting it in EventBody pieces.
func (s *Server) readData() (ok, more bool) {
	in := s.input()
	if s.data.Done() {
		return s.endOfData(s.data.Err(), s.data.Size())
	}
	if len(in) == 0 {
		if s.eof {
			return s.lost(), false
		}
		return false, false
	}
	body, n, _ := s.data.Decode(s.body[:0], in)
	s.body = body[:0]
	s.r += n
	s.dataSize += int64(n)
	if len(body) > 0 {
		s.emit(EventBody, nil).Data = body
		return true, false
	}
	if !s.data.Done() {
		return false, true
	}
	return s.endOfData(s.data.Err(), s.data.Size())
}

// endOfData ends a message: refused by the machine when err is set (the
// reply goes once per recipient under LMTP, RFC 2033 section 4.2), else
// handed to the application.
func (s *Server) endOfData(err error, size int64) (ok, more bool) {
	if s.tap != nil {
		s.tap.endData()
	}
	if s.cfg.Sync == SyncReject && s.ahead() && !s.pipelining() {
		s.fail(&Violation{Side: SideClient, Rule: "RFC 2920 3.1", Detail: "commands sent behind the end of data without PIPELINING"}, s.texts.sync)
		return true, false
	}
	if err != nil {
		r := replyOf(err)
		n := 1
		if s.cfg.Protocol == ProtocolLMTP {
			n = s.tx.rcpts
		}
		for range n {
			s.write(r)
		}
		s.endTransaction()
		e := s.emit(EventRejected, nil)

		e.Reply, e.Err = r, err
		return true, false
	}
	s.lmtpRcp = 0
	s.mode = readWait
	s.messageEvent(size)
	return true, false
}

// messageEvent makes s.ev the EventMessage for the recipient lmtpRcp.
func (s *Server) messageEvent(size int64) {
	s.emit(EventMessage, nil).Size = size
	if s.cfg.Protocol == ProtocolLMTP {
		s.ev.Recipient, s.ev.Mailbox = s.lmtpRcp, s.tx.mailbox(s.lmtpRcp)
	}
}

// bdat runs a BDAT command (RFC 3030 section 2). Its chunk is consumed
// whatever the answer, so that no chunk octet runs as a command.
func (s *Server) bdat(cmd *wire.Command, line []byte, perr error) bool {
	if perr != nil {
		size, ok := chunkSize(line)
		if !ok {
			// Without a size the chunk cannot be found: close rather
			// than read its octets as commands.
			s.fail(perr, replyBadChunk)
			return true
		}
		cmd.ChunkSize = size
	}
	if r, err, bad := s.gate(wire.VerbBDAT, line); bad || perr != nil {
		if perr != nil {
			r, err = replyOf(perr), perr
		}
		return s.skipChunk(cmd.ChunkSize, r, err)
	}
	if !s.tx.bdat {
		// The first chunk of the message.
		policy, nul := s.cfg.BareData, s.cfg.AllowNUL
		if s.tx.body == wire.BodyBinaryMIME {
			policy, nul = wire.BareAllow, true // RFC 3030 section 3
		}
		s.chunk = wire.ChunkDecoder{Policy: policy, AllowNUL: nul, MaxSize: s.cfg.MaxMessageSize}
		s.tx.bdat = true
		s.dataStart, s.dataSize = s.now, 0
	}
	s.chunk.Start(cmd.ChunkSize, cmd.Last)
	s.chunkLen = cmd.ChunkSize
	s.phase, s.mode = PhaseBDAT, readChunk
	return false
}

// skipChunk drops the chunk of a refused BDAT, then sends r.
func (s *Server) skipChunk(size uint64, r reply.Reply, err error) bool {
	s.skip, s.after, s.afterErr = size, r, err
	if !s.tx.bdat {
		// No chunk of this transaction was accepted: the data timeouts of
		// the refused chunk run from now (RFC 5321 section 4.5.3.2.5).
		s.dataStart, s.dataSize = s.now, 0
	}
	s.mode = readSkip
	return false
}

// readSkip drops the octets of a refused chunk, then answers it.
func (s *Server) readSkip() (ok, more bool) {
	in := s.input()
	if s.skip > 0 {
		if len(in) == 0 {
			if s.eof {
				return s.lost(), false
			}
			return false, false
		}
		n := len(in)
		if uint64(n) > s.skip {
			n = int(s.skip)
		}
		s.r += n
		s.skip -= uint64(n)
		s.dataSize += int64(n)
		if s.skip > 0 {
			return false, false
		}
	}
	s.mode = readLines
	s.reject(s.after, s.afterErr)
	return true, false
}

// readChunk consumes the chunk of an accepted BDAT.
func (s *Server) readChunk() (ok, more bool) {
	in := s.input()
	if len(in) == 0 && s.chunk.Remaining() > 0 {
		if s.eof {
			return s.lost(), false
		}
		return false, false
	}
	body, n, done := s.chunk.Decode(s.body[:0], in)
	s.body = body[:0]
	s.r += n
	s.dataSize += int64(n)
	if len(body) > 0 {
		s.emit(EventBody, nil).Data = body
		return true, false
	}
	if !done {
		return false, true
	}
	if err := s.chunk.Err(); err != nil {
		// RFC 3030 section 2: after a failed chunk the transaction has
		// failed; chunks already sent are refused and dropped as BDAT
		// outside a transaction.
		return s.endOfData(err, 0)
	}
	if s.chunk.Last() {
		return s.endOfData(nil, s.chunk.Size())
	}
	if s.cfg.Sync == SyncReject && s.ahead() && !s.pipelining() {
		s.fail(&Violation{Side: SideClient, Rule: "RFC 2920 3.1", Detail: "BDAT sent before the reply to the previous chunk without PIPELINING"}, s.texts.sync)
		return true, false
	}
	s.writeChunkOK(s.chunkLen)
	s.mode = readLines
	return false, true
}

// chunkSize reads the chunk-size of a BDAT line whose parameters are
// otherwise wrong, so that its chunk can still be dropped.
func chunkSize(line []byte) (uint64, bool) {
	i := bytes.IndexByte(line, ' ')
	if i < 0 {
		return 0, false
	}
	arg := line[i+1:]
	if j := bytes.IndexByte(arg, ' '); j >= 0 {
		arg = arg[:j]
	}
	if len(arg) == 0 || len(arg) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range arg {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}
