package state

import (
	"time"

	"github.com/smtpkit/smtpkit/wire"
)

// This file holds the Client's queue of commands awaiting replies: how
// commands are held and released for pipelining (RFC 2920 section 3.1) and
// how the projected session, against which new commands are checked, is
// derived from the confirmed one.

// clientCmd is one command awaiting its reply (or replies, for the end of
// an LMTP message).
type clientCmd struct {
	verb    wire.Verb
	stage   Stage
	ends    bool      // EndsGroup: nothing is written after it until it is answered
	auto    bool      // queued by the Client itself
	resp    bool      // an AUTH response line, not a command
	oneRnd  bool      // AUTH whose initial response completes it (RFC 4954 section 4)
	utf8    bool      // MAIL with SMTPUTF8
	binary  bool      // MAIL with BODY=BINARYMIME
	written bool      // its octets are in out
	size    int       // octets in held while not written
	rcpt    int32     // RCPT: its index in the transaction
	next    int32     // end of data under LMTP: replies received
	sent    time.Time // when it was written (the reply timer's start)
}

// at returns the i-th command awaiting a reply.
func (c *Client) at(i int) *clientCmd { return &c.cmds[c.head+i] }

// front returns the oldest command awaiting a reply if it was written, or
// nil.
func (c *Client) front() *clientCmd {
	if c.nWritten == 0 {
		return nil
	}
	return &c.cmds[c.head]
}

// room returns ErrBusy when the queue is at its bound.
func (c *Client) room() error {
	if c.Outstanding() >= c.cfg.MaxOutstanding {
		return ErrBusy
	}
	return nil
}

// compactCmds moves the queue to the start of its array when the array is
// full, so that appends reuse it.
func (c *Client) compactCmds() {
	if c.head > 0 && len(c.cmds) == cap(c.cmds) {
		n := copy(c.cmds, c.cmds[c.head:])
		c.cmds = c.cmds[:n]
		c.head = 0
	}
}

// push appends cmd to the queue; its octets are the last cmd.size octets of
// held, or already in out when cmd.written.
func (c *Client) push(cmd clientCmd) {
	c.compactCmds()
	c.cmds = append(c.cmds, cmd)
	if cmd.written {
		// Only a command with nothing held before it is written at once.
		c.nWritten++
		if cmd.ends {
			c.barriers++
		}
	}
}

// pushHeld queues a command whose octets were appended to held from
// offset start, and writes it at once if the pipelining rules allow.
func (c *Client) pushHeld(cmd clientCmd, start int) {
	cmd.size = len(c.held) - start
	c.push(cmd)
	c.release()
	c.project()
}

// insertFirstHeld queues cmd, whose line was just appended to held from
// offset start, before every held command: the HELO the Client sends in
// place of a refused EHLO goes ahead of commands the application queued
// after the EHLO.
func (c *Client) insertFirstHeld(cmd clientCmd, start int) {
	cmd.size = len(c.held) - start
	c.compactCmds()
	at := c.head + c.nWritten
	c.cmds = append(c.cmds, clientCmd{})
	copy(c.cmds[at+1:], c.cmds[at:])
	c.cmds[at] = cmd
	rotateRight(c.held[c.heldPos:], cmd.size)
}

// rotateRight moves the last k octets of b to its front, in place.
func rotateRight(b []byte, k int) {
	reverse(b)
	reverse(b[:k])
	reverse(b[k:])
}

// reverse reverses b in place.
func reverse(b []byte) {
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
}

// pop removes the oldest command, which was answered.
func (c *Client) pop() {
	if c.nWritten == 0 {
		return
	}
	if c.cmds[c.head].ends {
		c.barriers--
	}
	c.cmds[c.head] = clientCmd{}
	c.head++
	c.nWritten--
	if c.head == len(c.cmds) {
		c.cmds, c.head = c.cmds[:0], 0
	}
}

// withdrawChunks removes the held BDAT commands of the transaction whose
// chunk just failed: "If a 5XX or 4XX code is received by the sender-SMTP
// in response to a BDAT chunk, the transaction should be considered failed
// and the sender-SMTP MUST NOT send any additional BDAT segments" (RFC 3030
// section 2). Chunks already written cannot be unsent (with PIPELINING the
// server discards them); held ones, which without PIPELINING wait for the
// reply before them, are dropped with their octets, up to the LAST chunk
// or a command that starts over. Other held commands stay queued.
func (c *Client) withdrawChunks() {
	w, from, to := c.head+c.nWritten, c.heldPos, c.heldPos
	done := false
	for i := w; i < len(c.cmds); i++ {
		cmd := c.cmds[i]
		if !done && (cmd.stage == StageBDAT || cmd.stage == StageBDATLast) {
			done = cmd.stage == StageBDATLast
			from += cmd.size
			continue
		}
		done = done || startsOver(cmd.stage)
		to += copy(c.held[to:], c.held[from:from+cmd.size])
		from += cmd.size
		c.cmds[w] = cmd
		w++
	}
	clear(c.cmds[w:])
	c.cmds, c.held = c.cmds[:w], c.held[:to]
}

// startsOver reports a command after which chunks belong to another
// transaction, or to none.
func startsOver(s Stage) bool {
	switch s {
	case StageMail, StageRset, StageEhlo, StageHelo, StageLhlo, StageQuit, StageXclient, StageStartTLS:
		return true
	}
	return false
}

// canRelease reports whether the next held command may be written now. A
// Permissive client writes everything at once. Otherwise, with nothing
// awaiting a reply any command goes; without PIPELINING a command waits
// for the previous reply (RFC 2920 section 3.1 lets only a server that
// advertised it receive groups); with it a command joins the group unless
// a written command must end the group.
func (c *Client) canRelease() bool {
	switch {
	case c.cfg.Permissive, c.nWritten == 0:
		return true
	case !c.pipelining():
		return false
	}
	return c.barriers == 0
}

// pipelining reports whether the server advertised PIPELINING in its reply
// to the EHLO or LHLO now in effect (RFC 2920 section 3).
func (c *Client) pipelining() bool {
	return c.conf.ehlo && c.caps.Has(wire.ExtPIPELINING)
}

// release writes held commands while the pipelining rules allow.
func (c *Client) release() {
	for c.head+c.nWritten < len(c.cmds) && !c.term && c.canRelease() {
		cmd := &c.cmds[c.head+c.nWritten]
		c.out = append(c.out, c.held[c.heldPos:c.heldPos+cmd.size]...)
		c.heldPos += cmd.size
		cmd.size, cmd.written, cmd.sent = 0, true, c.now
		c.nWritten++
		if cmd.ends {
			c.barriers++
		}
	}
	if c.heldPos == len(c.held) {
		c.held, c.heldPos = c.held[:0], 0
	}
}

// project recomputes the projected session: the confirmed one with every
// queued command applied as if it succeeded. A command the table makes
// illegal where it falls changes nothing, as the server will refuse it.
func (c *Client) project() {
	s := c.conf
	for i := c.head; i < len(c.cmds); i++ {
		c.assume(&s, &c.cmds[i])
	}
	c.proj = s
}

// assume applies the success of cmd to s.
func (c *Client) assume(s *clientSession, cmd *clientCmd) {
	switch {
	case cmd.stage == StageGreeting:
		return // the client waits for the greeting (RFC 5321 section 3.1)
	case cmd.stage == StageEndOfData:
		if s.phase == PhaseData {
			s.endTxn()
		}
		return
	case cmd.resp:
		return // the exchange goes on, or ends: unknown until the reply
	}
	if cell, ok := Lookup(c.cfg.Protocol, s.phase, cmd.verb); !ok || !cell.Legal() {
		return
	}
	switch cmd.stage {
	case StageEhlo, StageHelo, StageLhlo:
		s.phase = PhaseReady
		s.resetTxn()
	case StageMail:
		s.phase = PhaseMail
		s.resetTxn()
		s.utf8, s.binary = cmd.utf8, cmd.binary
	case StageRcpt:
		s.phase = PhaseRcpt
		s.rcpts++
	case StageData:
		if !s.bdat && !s.binary {
			s.phase = PhaseData
		}
	case StageBDAT:
		if !s.bdatFailed {
			s.phase, s.bdat = PhaseBDAT, true
		}
	case StageBDATLast:
		s.endTxn()
	case StageRset:
		if s.phase != PhaseGreeted {
			s.phase = PhaseReady
		}
		s.resetTxn()
	case StageAuth:
		if s.authed {
			return
		}
		if cmd.oneRnd {
			s.authed = true
		} else {
			s.phase = PhaseAuth
		}
	case StageStartTLS:
		if !s.tls {
			s.phase = PhaseTLS
		}
	case StageXclient:
		s.phase, s.ehlo, s.authed = PhaseGreeted, false, false
		s.resetTxn()
	case StageQuit:
		s.phase = PhaseClosed
	}
}
