// Command genenhanced writes reply/enhanced_table.go from reply/enhanced.csv,
// the project's copy of the IANA "SMTP Enhanced Status Codes" registry
// (RFC 5248): the class sub-codes, the subject sub-codes and the enumerated
// status codes of RFC 3463 and later RFCs.
//
// It is run from package reply by
//
//	//go:generate go run ./internal/genenhanced
//
// and reads enhanced.csv and writes enhanced_table.go in the current
// directory unless -in and -out say otherwise.
//
// The CSV has the header "code,text,reference,basic,deprecated,notes" and one
// row per registry entry:
//
//   - a class row, code "2.XXX.XXX", "4.XXX.XXX" or "5.XXX.XXX";
//   - a subject row, code "X.s.XXX";
//   - an enumerated code, "X.s.d".
//
// Class rows come first, then subject rows, then enumerated codes sorted by
// subject and detail. "basic" lists the associated basic reply codes of the
// IANA registry separated by spaces; "deprecated" is empty or "yes"; only a
// deprecated entry may have an empty text. The generator does not import
// package reply, so it still runs when the generated file is broken.
package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"log"
	"os"
	"strconv"
	"strings"
)

func main() {
	in := flag.String("in", "enhanced.csv", "registry CSV to read")
	out := flag.String("out", "enhanced_table.go", "Go file to write")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("genenhanced: ")

	src, err := os.ReadFile(*in)
	if err != nil {
		log.Fatal(err)
	}
	code, err := generate(src)
	if err != nil {
		log.Fatalf("%s: %v", *in, err)
	}
	if err := os.WriteFile(*out, code, 0o644); err != nil {
		log.Fatal(err)
	}
}

// header is the exact first row of the CSV.
var header = []string{"code", "text", "reference", "basic", "deprecated", "notes"}

// entry is one enumerated status code row.
type entry struct {
	subject, detail uint16
	text, reference string
	basic           []uint16
	deprecated      bool
	note            string
}

// registry is the parsed CSV.
type registry struct {
	classes  map[uint16]string // class digit -> summary
	subjects map[uint16]string // subject -> summary
	entries  []entry
}

// generate parses the CSV in src and returns the gofmt'd Go source of
// enhanced_table.go.
func generate(src []byte) ([]byte, error) {
	reg, err := parse(src)
	if err != nil {
		return nil, err
	}
	return render(reg)
}

// parse reads and validates the CSV.
func parse(src []byte) (*registry, error) {
	r := csv.NewReader(bytes.NewReader(src))
	r.FieldsPerRecord = len(header)
	r.ReuseRecord = false

	first, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if strings.Join(first, ",") != strings.Join(header, ",") {
		return nil, fmt.Errorf("header is %q, want %q", strings.Join(first, ","), strings.Join(header, ","))
	}

	reg := &registry{classes: map[uint16]string{}, subjects: map[uint16]string{}}
	const (
		stageClass = iota
		stageSubject
		stageEntry
	)
	stage := stageClass
	var lastClass, lastSubject int = -1, -1
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := r.FieldPos(0)
		fail := func(format string, args ...any) error {
			return fmt.Errorf("line %d: %s", line, fmt.Sprintf(format, args...))
		}
		code, text, ref, basic, depr, note := rec[0], rec[1], rec[2], rec[3], rec[4], rec[5]
		for i, f := range rec {
			if err := checkField(f); err != nil {
				return nil, fail("column %s: %v", header[i], err)
			}
		}
		if ref == "" {
			return nil, fail("%s: empty reference", code)
		}
		parts := strings.Split(code, ".")
		if len(parts) != 3 {
			return nil, fail("code %q: want three dot-separated parts", code)
		}
		switch {
		case parts[1] == "XXX" && parts[2] == "XXX": // class row
			if stage != stageClass {
				return nil, fail("class row %s after subject or code rows", code)
			}
			if parts[0] != "2" && parts[0] != "4" && parts[0] != "5" {
				return nil, fail("class row %s: class must be 2, 4 or 5", code)
			}
			c := int(parts[0][0] - '0')
			if c <= lastClass {
				return nil, fail("class row %s out of order", code)
			}
			lastClass = c
			if text == "" || basic != "" || depr != "" {
				return nil, fail("class row %s: want a text and no basic codes or deprecation", code)
			}
			reg.classes[uint16(c)] = text
		case parts[0] == "X" && parts[2] == "XXX": // subject row
			if stage > stageSubject {
				return nil, fail("subject row %s after code rows", code)
			}
			stage = stageSubject
			s, err := subcode(parts[1])
			if err != nil {
				return nil, fail("code %q: subject: %v", code, err)
			}
			if int(s) <= lastSubject {
				return nil, fail("subject row %s out of order", code)
			}
			lastSubject = int(s)
			if text == "" || basic != "" || depr != "" {
				return nil, fail("subject row %s: want a text and no basic codes or deprecation", code)
			}
			reg.subjects[s] = text
		case parts[0] == "X":
			stage = stageEntry
			s, err := subcode(parts[1])
			if err != nil {
				return nil, fail("code %q: subject: %v", code, err)
			}
			d, err := subcode(parts[2])
			if err != nil {
				return nil, fail("code %q: detail: %v", code, err)
			}
			if _, ok := reg.subjects[s]; !ok {
				return nil, fail("code %s: subject %d has no subject row", code, s)
			}
			if n := len(reg.entries); n > 0 {
				p := reg.entries[n-1]
				if s < p.subject || (s == p.subject && d <= p.detail) {
					return nil, fail("code %s out of order or repeated", code)
				}
			}
			e := entry{subject: s, detail: d, text: text, reference: ref, note: note}
			switch depr {
			case "":
			case "yes":
				e.deprecated = true
			default:
				return nil, fail("code %s: deprecated must be empty or \"yes\", not %q", code, depr)
			}
			if text == "" && !e.deprecated {
				return nil, fail("code %s: empty text", code)
			}
			if e.basic, err = basicCodes(basic); err != nil {
				return nil, fail("code %s: basic: %v", code, err)
			}
			reg.entries = append(reg.entries, e)
		default:
			return nil, fail("code %q: want N.XXX.XXX, X.s.XXX or X.s.d", code)
		}
	}
	if len(reg.classes) == 0 || len(reg.subjects) == 0 || len(reg.entries) == 0 {
		return nil, errors.New("want class rows, subject rows and code rows")
	}
	return reg, nil
}

// checkField rejects text that would not read well in generated code or
// on the wire: control characters and surrounding spaces.
func checkField(f string) error {
	if strings.TrimSpace(f) != f {
		return errors.New("leading or trailing white space")
	}
	for i := 0; i < len(f); i++ {
		if c := f[i]; c < 0x20 || c >= 0x7f {
			return fmt.Errorf("octet %#02x at %d: want printable US-ASCII", c, i)
		}
	}
	return nil
}

// subcode parses 1*3digit without leading zeros (RFC 3463 section 2).
func subcode(s string) (uint16, error) {
	if len(s) == 0 || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("%q: want 1 to 3 digits without leading zeros", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q: want digits", s)
		}
	}
	v, err := strconv.ParseUint(s, 10, 16)
	return uint16(v), err
}

// basicCodes parses a space-separated list of basic reply codes, each
// following the Reply-code grammar of RFC 5321 section 4.2.
func basicCodes(s string) ([]uint16, error) {
	if s == "" {
		return nil, nil
	}
	var out []uint16
	for _, f := range strings.Split(s, " ") {
		if len(f) != 3 || f[0] < '2' || f[0] > '5' || f[1] < '0' || f[1] > '5' || f[2] < '0' || f[2] > '9' {
			return nil, fmt.Errorf("%q is not a reply code", f)
		}
		v := uint16(f[0]-'0')*100 + uint16(f[1]-'0')*10 + uint16(f[2]-'0')
		for _, o := range out {
			if o == v {
				return nil, fmt.Errorf("%s repeated", f)
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// render writes the Go source for reg.
func render(reg *registry) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("// Code generated by genenhanced from enhanced.csv. DO NOT EDIT.\n\n")
	b.WriteString("package reply\n\n")

	b.WriteString("// enhancedClassText holds the summaries of the class sub-codes of the\n")
	b.WriteString("// IANA registry (RFC 3463 section 2), indexed by class.\n")
	b.WriteString("var enhancedClassText = [...]string{\n")
	for c := uint16(0); c <= 9; c++ {
		if t, ok := reg.classes[c]; ok {
			fmt.Fprintf(&b, "%d: %s,\n", c, strconv.Quote(t))
		}
	}
	b.WriteString("}\n\n")

	b.WriteString("// enhancedSubjectText holds the summaries of the subject sub-codes of the\n")
	b.WriteString("// IANA registry (RFC 3463 section 2), indexed by subject.\n")
	b.WriteString("var enhancedSubjectText = [...]string{\n")
	for s := 0; s <= 999; s++ {
		if t, ok := reg.subjects[uint16(s)]; ok {
			fmt.Fprintf(&b, "%d: %s,\n", s, strconv.Quote(t))
		}
	}
	b.WriteString("}\n\n")

	b.WriteString("// enhancedTable holds the enumerated status codes of the IANA registry,\n")
	b.WriteString("// sorted by subject and detail.\n")
	b.WriteString("var enhancedTable = [...]EnhancedEntry{\n")
	for _, e := range reg.entries {
		fmt.Fprintf(&b, "{Subject: %d, Detail: %d, Text: %s, Reference: %s", e.subject, e.detail, strconv.Quote(e.text), strconv.Quote(e.reference))
		if len(e.basic) > 0 {
			b.WriteString(", Basic: []Code{")
			for i, c := range e.basic {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%d", c)
			}
			b.WriteString("}")
		}
		if e.deprecated {
			b.WriteString(", Deprecated: true")
		}
		if e.note != "" {
			fmt.Fprintf(&b, ", Note: %s", strconv.Quote(e.note))
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")

	return format.Source(b.Bytes())
}
