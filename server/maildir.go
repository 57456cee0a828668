package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/smtpkit/smtpkit/reply"
)

// Maildir delivers messages into a Maildir (https://cr.yp.to/proto/maildir.html):
// each message is written to tmp/ under a unique name, synced to disk,
// then renamed into new/, whose directory is synced too, so a message is
// either complete in new/ or absent. A Maildir is a plain value, safe for
// concurrent use by many goroutines and processes.
type Maildir struct {
	// Path is the Maildir's root, holding tmp, new and cur.
	Path string
}

// maildirSeq numbers deliveries within this process.
var maildirSeq atomic.Uint64

// The file system calls Deliver makes after opening the tmp file, as
// variables so that the tests can make each of them fail (a full disk and
// a failing fsync are hard to arrange in a unit test).
var (
	fileWriter = func(f *os.File) io.Writer { return f }
	syncFile   = (*os.File).Sync
	closeFile  = (*os.File).Close
	renameFile = os.Rename
	syncNewDir = syncDir
)

// StorageError is a failure of the Maildir's storage itself (creating,
// writing, syncing, closing or renaming the message file, syncing new/):
// a full disk, an unwritable or missing directory, an I/O error. It is
// answered 452 4.3.1, "insufficient system storage" (RFC 5321 sections
// 4.2.2 and 4.3.2; RFC 3463 section 3.4: X.3.1 "Mail system full"), a
// transient failure after which the client tries again later, and
// nothing was delivered. It unwraps to the cause (errors.Is(err,
// syscall.ENOSPC) holds for a full disk).
type StorageError struct {
	Op   string // "create", "write", "sync", "close", "rename" or "sync dir"
	Path string // the file or directory
	Err  error
}

// Error returns "maildir: OP PATH: cause".
func (e *StorageError) Error() string {
	return "maildir: " + e.Op + " " + e.Path + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *StorageError) Unwrap() error { return e.Err }

// Reply is 452 4.3.1: the Session error rule (see Session) answers a
// StorageError with it.
func (e *StorageError) Reply() reply.Reply { return replyNoStorage }

// replyNoStorage answers a message the Maildir could not store.
var replyNoStorage = reply.Reply{Code: reply.CodeInsufficientStorage, Enhanced: reply.E(4, 3, 1),
	Text: "Insufficient system storage, message not delivered"}

// Init creates the Maildir's root, tmp, new and cur with mode 0700 if they
// do not exist.
func (m Maildir) Init() error {
	for _, d := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(m.Path, d), 0o700); err != nil {
			return err
		}
	}
	return nil
}

// Deliver copies r into a new message and returns its file name (in new/).
// On any error nothing stays in new/ or tmp/. An error of r (the client
// went away: ErrMessageAborted) is returned unchanged; a failure of the
// storage is a *StorageError, which the server answers 452 4.3.1. When
// syncing new/ after the rename fails, the message is removed from new/
// again: it was refused, and the client will send it again.
func (m Maildir) Deliver(r io.Reader) (name string, err error) {
	name, err = m.uniqueName(time.Now())
	if err != nil {
		return "", err
	}
	tmp := filepath.Join(m.Path, "tmp", name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", &StorageError{Op: "create", Path: tmp, Err: unwrapPath(err)}
	}
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	src := &readRecorder{r: r}
	_, err = io.Copy(fileWriter(f), src)
	switch {
	case err != nil && src.err != nil:
		// r's own error: the message is incomplete, not the disk's fault.
	case err != nil:
		err = &StorageError{Op: "write", Path: tmp, Err: unwrapPath(err)}
	default:
		// The content is on disk before it is visible.
		if err = syncFile(f); err != nil {
			err = &StorageError{Op: "sync", Path: tmp, Err: unwrapPath(err)}
		}
	}
	if cerr := closeFile(f); err == nil && cerr != nil {
		err = &StorageError{Op: "close", Path: tmp, Err: unwrapPath(cerr)}
	}
	if err != nil {
		return "", err
	}
	newDir := filepath.Join(m.Path, "new")
	dst := filepath.Join(newDir, name)
	if err = renameFile(tmp, dst); err != nil {
		return "", &StorageError{Op: "rename", Path: dst, Err: unwrapLink(err)}
	}
	if err = syncNewDir(newDir); err != nil {
		// Not durable, and about to be refused: take it back, so that the
		// client's next attempt does not make it a duplicate.
		os.Remove(dst)
		return "", &StorageError{Op: "sync dir", Path: newDir, Err: unwrapPath(err)}
	}
	return name, nil
}

// readRecorder keeps the error of the reader Deliver copies from, so that
// it is told apart from the file's.
type readRecorder struct {
	r   io.Reader
	err error
}

func (rr *readRecorder) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	if err != nil && err != io.EOF {
		rr.err = err
	}
	return n, err
}

// unwrapPath drops an *os.PathError, whose path StorageError carries.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// unwrapLink drops the *os.LinkError of a rename.
func unwrapLink(err error) error {
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// uniqueName builds "seconds.M<usec>P<pid>Q<seq>R<random>.host": the
// modern unique-name form of the Maildir specification, with "/" and ":"
// in the host name written as \057 and \072.
func (m Maildir) uniqueName(now time.Time) (string, error) {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	host = strings.NewReplacer("/", `\057`, ":", `\072`).Replace(host)
	var b strings.Builder
	b.WriteString(strconv.FormatInt(now.Unix(), 10))
	b.WriteString(".M")
	b.WriteString(strconv.Itoa(now.Nanosecond() / 1000))
	b.WriteString("P")
	b.WriteString(strconv.Itoa(os.Getpid()))
	b.WriteString("Q")
	b.WriteString(strconv.FormatUint(maildirSeq.Add(1), 10))
	b.WriteString("R")
	b.WriteString(hex.EncodeToString(rnd[:]))
	b.WriteString(".")
	b.WriteString(host)
	return b.String(), nil
}

// syncDir flushes a directory's entries, so a rename into it survives a
// crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, os.ErrInvalid) {
		return nil // some platforms cannot sync a directory
	}
	return err
}
