package conformance

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds the text format (FormatText): an aligned table per
// report and the closing counts line.

const (
	// textWidth is the default line width.
	textWidth = 120
	// textStatusWidth and textLevelWidth are the widths of the first two
	// columns ("STATUS", "SHOULD"); textIndent is where the ID column,
	// and the reason lines under a row, start.
	textStatusWidth = 6
	textLevelWidth  = 6
	textIndent      = textStatusWidth + 2 + textLevelWidth + 2
	// textMaxID caps the ID column; a longer ID pushes its title right.
	textMaxID = 56
	// textMinTitle is the narrowest the title column gets.
	textMinTitle = 20
)

// ANSI colours of the statuses (ReportOptions.Color).
const (
	ansiReset = "\x1b[0m"
	ansiPass  = "\x1b[32m"
	ansiFail  = "\x1b[1;31m"
	ansiSkip  = "\x1b[33m"
)

// textTable lays out the rows of every report alike.
type textTable struct {
	o           ReportOptions
	idWidth     int
	titleWidth  int
	b           *bytes.Buffer
	indentSpace string
}

// writeText writes the text format (FormatText) to b.
func writeText(b *bytes.Buffer, o ReportOptions, reps []*Report) {
	tt := textTable{o: o, idWidth: len("CASE"), b: b, indentSpace: strings.Repeat(" ", textIndent)}
	for _, rep := range reps {
		for i := range rep.Results {
			tt.idWidth = max(tt.idWidth, utf8.RuneCountInString(reportCase(&rep.Results[i]).ID()))
		}
	}
	tt.idWidth = min(tt.idWidth, textMaxID)
	width := o.Width
	if width <= 0 {
		width = textWidth
	}
	tt.titleWidth = max(width-textIndent-tt.idWidth-2, textMinTitle)

	var all reportTally
	for i, rep := range reps {
		if i > 0 {
			tt.b.WriteString("\n")
		}
		t := tt.report(rep)
		if len(reps) > 1 {
			tt.b.WriteString("\n" + reportSuite(rep) + " suite: " + t.countsLine() + "\n")
		}
		all.add(t)
	}
	if len(reps) > 0 {
		tt.b.WriteString("\n")
	}
	tt.b.WriteString(all.countsLine() + "\n")
}

// report writes one report's header and table and returns its tally.
func (tt *textTable) report(rep *Report) reportTally {
	b := tt.b
	t := tallyReport(rep)
	b.WriteString(reportSuite(rep) + " suite against " + textSafe(rep.Target) + "\n")
	b.WriteString("started " + rep.Started.Format("2006-01-02 15:04:05 MST") +
		", took " + reportDuration(rep.Duration) + ", " + textPlural(t.total(), "case") + "\n")
	if len(rep.Capabilities) > 0 {
		b.WriteString("capabilities: " + textSafe(strings.Join(rep.Capabilities, " ")) + "\n")
	}
	if len(rep.TLSCapabilities) > 0 {
		b.WriteString("after STARTTLS: " + textSafe(strings.Join(rep.TLSCapabilities, " ")) + "\n")
	}
	b.WriteString("\n")
	tt.row("STATUS", "", "LEVEL", "CASE", "TITLE")
	for i := range rep.Results {
		res := &rep.Results[i]
		c := reportCase(res)
		word, colour := "pass", ansiPass
		switch res.Status {
		case Fail:
			word, colour = "FAIL", ansiFail
		case Skipped:
			word, colour = "skip", ansiSkip
		case Pass:
		default:
			word, colour = "none", ""
		}
		tt.row(word, colour, c.Level.String(), c.ID(), textShorten(textSafe(c.Title), tt.titleWidth))
		if res.Status == Pass {
			continue
		}
		b.WriteString(tt.indentSpace + textSafe(reportOutcome(res)) + "\n")
		if tt.o.Verbose && res.Status == Fail && res.Transcript != nil {
			for _, line := range strings.Split(strings.TrimSuffix(res.Transcript.String(), "\n"), "\n") {
				b.WriteString(strings.TrimRight(tt.indentSpace+"  "+textSafe(line), " ") + "\n")
			}
		}
	}
	return t
}

// row writes one line of the table; colour, if the options allow it,
// marks the status.
func (tt *textTable) row(status, colour, level, id, title string) {
	b := tt.b
	pad := strings.Repeat(" ", textStatusWidth+2-len(status))
	if tt.o.Color && colour != "" {
		status = colour + status + ansiReset
	}
	b.WriteString(status + pad)
	b.WriteString(textPad(level, textLevelWidth+2))
	if title == "" {
		b.WriteString(id + "\n")
		return
	}
	b.WriteString(textPad(id, tt.idWidth+2) + title + "\n")
}

// textPad pads s with spaces to n runes (at least one space follows a
// longer s).
func textPad(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s + " "
}

// textShorten cuts s to n runes, ending it with "…" when cut.
func textShorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

// textPlural writes n and the noun, with an "s" unless n is 1.
func textPlural(n int, noun string) string {
	s := strconv.Itoa(n) + " " + noun
	if n != 1 {
		s += "s"
	}
	return s
}
