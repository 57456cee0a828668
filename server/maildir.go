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
// On any error, including one from r, nothing appears in new/ and the
// temporary file is removed.
func (m Maildir) Deliver(r io.Reader) (name string, err error) {
	name, err = m.uniqueName(time.Now())
	if err != nil {
		return "", err
	}
	tmp := filepath.Join(m.Path, "tmp", name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync() // the content is on disk before it is visible
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	newDir := filepath.Join(m.Path, "new")
	if err = os.Rename(tmp, filepath.Join(newDir, name)); err != nil {
		return "", err
	}
	if err = syncDir(newDir); err != nil {
		return "", err
	}
	return name, nil
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
