package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/smtpkit/smtpkit/conformance"
)

// Headings of the parts that follow the implementation index; the intro
// links to them.
const (
	suiteHeading      = "Conformance suite cases"
	deviationsHeading = "Deviations of other implementations"
)

// levelCount counts cases by level.
type levelCount [conformance.May + 1]int

func (n *levelCount) add(l conformance.Level) { n[l]++ }

func (n *levelCount) total() int {
	return n[conformance.Must] + n[conformance.Should] + n[conformance.May]
}

// cells returns the total and the counts per level as table cells.
func (n *levelCount) cells() string {
	return fmt.Sprintf("%d | %d | %d | %d", n.total(), n[conformance.Must], n[conformance.Should], n[conformance.May])
}

// words returns the counts as "12 cases: 8 MUST, 3 SHOULD, 1 MAY".
func (n *levelCount) words() string {
	noun := "cases"
	if n.total() == 1 {
		noun = "case"
	}
	return fmt.Sprintf("%d %s: %d MUST, %d SHOULD, %d MAY", n.total(), noun, n[conformance.Must], n[conformance.Should], n[conformance.May])
}

// suitePart is one suite as the page shows it.
type suitePart struct {
	heading, about string
	cases          []*conformance.Case
}

func suiteParts() []suitePart {
	return []suitePart{
		{"Server suite", "The server suite plays a client against the server under test (`conformance.RunServer`).", conformance.ServerCases()},
		{"Client suite", "The client suite plays a scripted server against the client under test (`conformance.RunClient`).", conformance.ClientCases()},
	}
}

// renderSuites writes the conformance suite's cases: a summary table, then
// for each suite the cases by RFC and section with their level and title.
func renderSuites(b *bytes.Buffer) {
	parts := suiteParts()
	fmt.Fprintf(b, "\n# %s\n\n", suiteHeading)
	b.WriteString("The cases of package `conformance`, by RFC and section. A case's ID is `rfcRFC/SECTION/NAME`; its level is\n")
	b.WriteString("the strength of the rule it checks in the words of RFC 2119 (a failed MAY case is reported, never fatal).\n")
	b.WriteString("Generated from the registered cases, as the index above is from the source.\n\n")
	b.WriteString("| Suite | Cases | MUST | SHOULD | MAY |\n|---|---|---|---|---|\n")
	for _, p := range parts {
		var n levelCount
		for _, c := range p.cases {
			n.add(c.Level)
		}
		fmt.Fprintf(b, "| [%s](#%s) | %s |\n", p.heading, anchor(p.heading), n.cells())
	}
	for _, p := range parts {
		fmt.Fprintf(b, "\n## %s\n\n%s\n", p.heading, p.about)
		for start := 0; start < len(p.cases); {
			end := start
			var n levelCount
			for end < len(p.cases) && p.cases[end].RFC == p.cases[start].RFC {
				n.add(p.cases[end].Level)
				end++
			}
			rfc := p.cases[start].RFC
			fmt.Fprintf(b, "\n### %s: RFC %d: %s\n\n%s.\n\n", p.heading, rfc, rfcTitle(rfc), n.words())
			b.WriteString("| Section | Case | Level | Title |\n|---|---|---|---|\n")
			for _, c := range p.cases[start:end] {
				fmt.Fprintf(b, "| %s | `%s` | %s | %s |\n", c.Section, c.ID(), c.Level, cell(c.Title))
			}
			start = end
		}
	}
}

// renderDeviations writes the deviation lists of conformance.PeerRuns:
// a summary table, then for each run its setup and the failing cases with
// their level and the reason.
func renderDeviations(b *bytes.Buffer) error {
	runs := conformance.PeerRuns()
	byID := map[conformance.Suite]map[string]*conformance.Case{}
	for _, p := range []struct {
		suite conformance.Suite
		cases []*conformance.Case
	}{{conformance.SuiteServer, conformance.ServerCases()}, {conformance.SuiteClient, conformance.ClientCases()}} {
		byID[p.suite] = make(map[string]*conformance.Case, len(p.cases))
		for _, c := range p.cases {
			byID[p.suite][c.ID()] = c
		}
	}
	counts := make([]levelCount, len(runs))
	for i, run := range runs {
		for _, d := range run.Deviations {
			c := byID[run.Suite][d.ID]
			if c == nil {
				return fmt.Errorf("%s %s: %s is not a case of the %s suite", run.Peer, run.Variant, d.ID, run.Suite)
			}
			counts[i].add(c.Level)
		}
	}
	fmt.Fprintf(b, "\n# %s\n\n", deviationsHeading)
	b.WriteString("The tests of package `conformance` run the server suite against Postfix's real smtpd and the client suite\n")
	b.WriteString("against swaks and curl (`.ci/run` installs them and sets `SMTPKIT_PEERS=require`), and fail unless the cases\n")
	b.WriteString("that fail are exactly the ones listed here (`conformance/deviations.go`): a new failure fails the test with\n")
	b.WriteString("its transcript, and so does a listed case that passes. Every entry was decided by reading the rule: the\n")
	b.WriteString("program deviates from it, or, for a MAY case, does not take the option; cases found wrong were fixed instead.\n\n")
	b.WriteString("| Program | Version | Suite | Failing cases | MUST | SHOULD | MAY |\n|---|---|---|---|---|---|---|\n")
	for i, run := range runs {
		h := runHeading(run)
		fmt.Fprintf(b, "| [%s, %s](#%s) | %s (%s) | %s | %s |\n", run.Peer, run.Variant, anchor(h), run.Version, run.Platform, run.Suite, counts[i].cells())
	}
	for _, run := range runs {
		fmt.Fprintf(b, "\n## %s\n\n", runHeading(run))
		fmt.Fprintf(b, "Measured with %s %s (%s), the %s suite. %s\n", run.Peer, run.Version, run.Platform, run.Suite, cell(run.Setup))
		if len(run.Settings) > 0 {
			b.WriteString("\n| Setting | Value | Effect |\n|---|---|---|\n")
			for _, s := range run.Settings {
				value := "(empty)"
				if s.Value != "" {
					value = "`" + s.Value + "`"
				}
				fmt.Fprintf(b, "| `%s` | %s | %s |\n", s.Name, value, cell(s.Effect))
			}
		}
		b.WriteString("\n| Case | Level | Reason |\n|---|---|---|\n")
		for _, d := range run.Deviations {
			fmt.Fprintf(b, "| `%s` | %s | %s |\n", d.ID, byID[run.Suite][d.ID].Level, cell(d.Reason))
		}
	}
	return nil
}

// runHeading is the heading of a run's section.
func runHeading(run conformance.PeerRun) string {
	return fmt.Sprintf("%s %s, %s", run.Peer, run.Version, run.Variant)
}

// rfcTitle returns the RFC's title from titles, or the mark the title
// test looks for.
func rfcTitle(rfc int) string {
	if t := titles[rfc]; t != "" {
		return t
	}
	return "(no title recorded)"
}

// cellEscaper keeps text in a table cell as written: "<LF>" would be read
// as an HTML tag, "|" would end the cell and "*" start emphasis.
var cellEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "|", `\|`, "*", `\*`)

// cell returns s escaped for a Markdown table cell.
func cell(s string) string { return cellEscaper.Replace(s) }

// anchor returns the fragment GitHub gives a heading: lower case, spaces
// to "-", and only letters, digits, "-" and "_" kept.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}
