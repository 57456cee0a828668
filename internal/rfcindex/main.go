package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// titles names the RFCs the code cites; an RFC missing here is listed with
// its number only.
var titles = map[int]string{
	821:  "Simple Mail Transfer Protocol (historic)",
	1034: "Domain Names - Concepts and Facilities",
	1035: "Domain Names - Implementation and Specification",
	1320: "The MD4 Message-Digest Algorithm",
	1652: "SMTP Service Extension for 8bit-MIMEtransport (obsoleted by RFC 6152)",
	1845: "SMTP Service Extension for Checkpoint/Restart",
	1869: "SMTP Service Extensions",
	1870: "SMTP Service Extension for Message Size Declaration",
	1928: "SOCKS Protocol Version 5",
	1929: "Username/Password Authentication for SOCKS V5",
	1985: "SMTP Service Extension for Remote Message Queue Starting (ETRN)",
	2033: "Local Mail Transfer Protocol (LMTP)",
	2034: "SMTP Service Extension for Returning Enhanced Error Codes",
	2045: "Multipurpose Internet Mail Extensions (MIME) Part One: Format of Internet Message Bodies",
	2046: "Multipurpose Internet Mail Extensions (MIME) Part Two: Media Types",
	2047: "MIME (Multipurpose Internet Mail Extensions) Part Three: Message Header Extensions for Non-ASCII Text",
	2104: "HMAC: Keyed-Hashing for Message Authentication",
	2119: "Key words for use in RFCs to Indicate Requirement Levels",
	2183: "Communicating Presentation Information in Internet Messages: The Content-Disposition Header Field",
	2195: "IMAP/POP AUTHorize Extension for Simple Challenge/Response (CRAM-MD5)",
	2231: "MIME Parameter Value and Encoded Word Extensions: Character Sets, Languages, and Continuations",
	2554: "SMTP Service Extension for Authentication (obsoleted by RFC 4954)",
	2645: "On-Demand Mail Relay (ATRN)",
	2821: "Simple Mail Transfer Protocol (obsoleted by RFC 5321)",
	2852: "Deliver By SMTP Service Extension",
	2920: "SMTP Service Extension for Command Pipelining",
	3030: "SMTP Service Extensions for Transmission of Large and Binary MIME Messages",
	3207: "SMTP Service Extension for Secure SMTP over TLS",
	3339: "Date and Time on the Internet: Timestamps",
	3461: "SMTP Service Extension for Delivery Status Notifications (DSN)",
	3463: "Enhanced Mail System Status Codes",
	3629: "UTF-8, a transformation format of ISO 10646",
	3848: "ESMTP and LMTP Transmission Types Registration",
	3865: "A No Soliciting SMTP Service Extension",
	3885: "SMTP Service Extension for Message Tracking",
	3986: "Uniform Resource Identifier (URI): Generic Syntax",
	4013: "SASLprep: Stringprep Profile for User Names and Passwords (obsoleted by RFC 7613)",
	4141: "SMTP and MIME Extensions for Content Conversion",
	4291: "IP Version 6 Addressing Architecture",
	4405: "SMTP Service Extension for Indicating the Responsible Submitter",
	4422: "Simple Authentication and Security Layer (SASL)",
	4468: "Message Submission BURL Extension",
	4505: "Anonymous Simple Authentication and Security Layer (SASL) Mechanism",
	4616: "The PLAIN SASL Mechanism",
	4648: "The Base16, Base32, and Base64 Data Encodings",
	4865: "SMTP Submission Service Extension for Future Message Release",
	4954: "SMTP Service Extension for Authentication",
	5056: "On the Use of Channel Bindings to Secure Channels",
	5234: "Augmented BNF for Syntax Specifications: ABNF",
	5246: "The TLS Protocol Version 1.2",
	5248: "A Registry for SMTP Enhanced Mail System Status Codes",
	5280: "Internet X.509 Public Key Infrastructure Certificate and CRL Profile",
	5321: "Simple Mail Transfer Protocol",
	5322: "Internet Message Format",
	5336: "SMTP Extension for Internationalized Email Addresses (experimental)",
	5801: "Using GSS-API Mechanisms in SASL: The GS2 Mechanism Family",
	5802: "Salted Challenge Response Authentication Mechanism (SCRAM)",
	5803: "LDAP Schema for Storing SCRAM Secrets",
	5890: "Internationalized Domain Names for Applications (IDNA): Definitions and Document Framework",
	5929: "Channel Bindings for TLS",
	6125: "Representation and Verification of Domain-Based Application Service Identity",
	6152: "SMTP Service Extension for 8-bit MIME Transport",
	6409: "Message Submission for Mail",
	6531: "SMTP Extension for Internationalized Email",
	6533: "Internationalized Delivery Status and Disposition Notifications",
	6710: "Simple Mail Transfer Protocol Extension for Message Transfer Priorities",
	6749: "The OAuth 2.0 Authorization Framework",
	6750: "The OAuth 2.0 Authorization Framework: Bearer Token Usage",
	7293: "The Require-Recipient-Valid-Since Header Field and SMTP Service Extension",
	7372: "Email Authentication Status Codes",
	7435: "Opportunistic Security",
	7504: "SMTP 521 and 556 Reply Codes",
	7505: "A \"Null MX\" No Service Resource Record",
	7627: "Transport Layer Security (TLS) Session Hash and Extended Master Secret Extension",
	7628: "A Set of SASL Mechanisms for OAuth",
	7672: "SMTP Security via Opportunistic DANE TLS",
	7677: "SCRAM-SHA-256 and SCRAM-SHA-256-PLUS SASL Mechanisms",
	7817: "Updated TLS Server Identity Check Procedure for Email-Related Protocols",
	8018: "PKCS #5: Password-Based Cryptography Specification Version 2.1",
	8259: "The JavaScript Object Notation (JSON) Data Interchange Format",
	8265: "Preparation, Enforcement, and Comparison of Internationalized Strings Representing Usernames and Passwords",
	8314: "Cleartext Considered Obsolete: Use of TLS for Email Submission and Access",
	8446: "The TLS Protocol Version 1.3",
	8461: "SMTP MTA Strict Transport Security (MTA-STS)",
	8617: "The Authenticated Received Chain (ARC) Protocol",
	8689: "SMTP Require TLS Option",
	8996: "Deprecating TLS 1.0 and TLS 1.1",
	9110: "HTTP Semantics",
	9113: "HTTP/2",
	9266: "Channel Bindings for TLS 1.3",
	9325: "Recommendations for Secure Use of TLS and DTLS",
	9422: "The LIMITS SMTP Service Extension",
}

// citation matches "RFC 5321 4.1.2", "RFC 5321 section 4.1.2", "RFC 5321
// appendix C" and a bare "RFC 5321".
var citation = regexp.MustCompile(`RFC ?(\d{3,4})\b(?:(?:,? (?:section|sections|§) ?| )(\d+(?:\.\d+)*|(?:[Aa]ppendix|App\.) ?[A-Z](?:\.\d+)*)\b)?`)

type key struct {
	rfc     int
	section string
}

func main() {
	out, err := generate(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "rfcindex:", err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
}

// generate scans the non-test Go files under root and renders the index,
// followed by the conformance suite's cases and the deviations of other
// implementations.
func generate(root string) ([]byte, error) {
	index := map[key]map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "internal") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		return scanFile(root, path, index)
	})
	if err != nil {
		return nil, err
	}
	b := render(index)
	renderSuites(b)
	if err := renderDeviations(b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// scanFile adds the citations of one file to index, each under the
// declaration whose span holds the comment.
func scanFile(root, path string, index map[key]map[string]bool) error {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		return err
	}
	if strings.HasPrefix(filepath.Base(path), "zz_") {
		return nil
	}
	rel, _ := filepath.Rel(root, filepath.Dir(path))
	pkg := filepath.ToSlash(rel)
	for _, cg := range f.Comments {
		text := strings.Join(strings.Fields(cg.Text()), " ")
		owner := declName(f, cg.Pos())
		if owner == "" {
			owner = "package " + pkg
		} else {
			owner = pkg + "." + owner
		}
		for _, m := range citation.FindAllStringSubmatch(text, -1) {
			n, _ := strconv.Atoi(m[1])
			k := key{n, strings.TrimSuffix(m[2], ".")}
			if index[k] == nil {
				index[k] = map[string]bool{}
			}
			index[k][owner] = true
		}
	}
	return nil
}

// declName returns the name of the top-level declaration whose doc comment
// or body holds pos: "Func", "Type.Method", "Type", or a var/const name.
func declName(f *ast.File, pos token.Pos) string {
	for _, d := range f.Decls {
		start, end := d.Pos(), d.End()
		var doc *ast.CommentGroup
		switch d := d.(type) {
		case *ast.FuncDecl:
			doc = d.Doc
		case *ast.GenDecl:
			doc = d.Doc
		}
		if doc != nil {
			start = doc.Pos()
		}
		if pos < start || pos > end {
			continue
		}
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv != nil && len(d.Recv.List) > 0 {
				return recvName(d.Recv.List[0].Type) + "." + d.Name.Name
			}
			return d.Name.Name
		case *ast.GenDecl:
			if len(d.Specs) > 1 && d.Doc != nil && within(pos, d.Doc.Pos(), d.Doc.End()) {
				return firstName(d) + " (block)"
			}
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if within(pos, s.Pos(), s.End()) || len(d.Specs) == 1 {
						return s.Name.Name
					}
				case *ast.ValueSpec:
					if within(pos, s.Pos(), s.End()) || (s.Doc != nil && within(pos, s.Doc.Pos(), s.End())) ||
						(s.Comment != nil && within(pos, s.Comment.Pos(), s.Comment.End())) || len(d.Specs) == 1 {
						return s.Names[0].Name
					}
				}
			}
			return firstName(d)
		}
	}
	return ""
}

// firstName returns the name of the first spec of d.
func firstName(d *ast.GenDecl) string {
	switch s := d.Specs[0].(type) {
	case *ast.TypeSpec:
		return s.Name.Name
	case *ast.ValueSpec:
		return s.Names[0].Name
	}
	return "?"
}

func within(pos, start, end token.Pos) bool { return pos >= start && pos <= end }

func recvName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return recvName(t.X)
	case *ast.Ident:
		return t.Name
	case *ast.IndexExpr:
		return recvName(t.X)
	}
	return "?"
}

// render writes the Markdown page: one section per RFC, one row per cited
// section with the declarations that cite it.
func render(index map[key]map[string]bool) *bytes.Buffer {
	keys := make([]key, 0, len(index))
	rfcs := map[int]bool{}
	for k := range index {
		keys = append(keys, k)
		rfcs[k.rfc] = true
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].rfc != keys[j].rfc {
			return keys[i].rfc < keys[j].rfc
		}
		return lessSection(keys[i].section, keys[j].section)
	})
	var b bytes.Buffer
	b.WriteString("<!-- Code generated by go run ./internal/rfcindex; DO NOT EDIT. -->\n\n")
	b.WriteString("# Conformance index\n\n")
	b.WriteString("Where smtpkit implements each RFC section it cites: every row lists the declarations whose\n")
	b.WriteString("comments cite that section, which by the project's rule sit at the code that enforces it.\n")
	b.WriteString("Generated from the source by `go run ./internal/rfcindex > docs/CONFORMANCE.md`; a test keeps it current.\n")
	fmt.Fprintf(&b, "After the index come the [cases of the conformance suite](#%s) by RFC and section, and the\n", anchor(suiteHeading))
	fmt.Fprintf(&b, "[deviations](#%s) of Postfix, swaks and curl that the suite's tests measure.\n\n", anchor(deviationsHeading))
	fmt.Fprintf(&b, "%d RFCs, %d cited sections.\n", len(rfcs), len(keys))
	last := 0
	for _, k := range keys {
		if k.rfc != last {
			last = k.rfc
			fmt.Fprintf(&b, "\n## RFC %d: %s\n\n| Section | Where |\n|---|---|\n", k.rfc, rfcTitle(k.rfc))
		}
		owners := make([]string, 0, len(index[k]))
		for o := range index[k] {
			owners = append(owners, "`"+o+"`")
		}
		sort.Strings(owners)
		sec := k.section
		if sec == "" {
			sec = "(whole RFC)"
		}
		fmt.Fprintf(&b, "| %s | %s |\n", sec, strings.Join(owners, ", "))
	}
	return &b
}

// lessSection orders "4.1.2" before "4.1.10" and a whole-RFC row first.
func lessSection(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, errX := strconv.Atoi(as[i])
		y, errY := strconv.Atoi(bs[i])
		switch {
		case errX == nil && errY == nil && x != y:
			return x < y
		case (errX != nil || errY != nil) && as[i] != bs[i]:
			return as[i] < bs[i]
		}
	}
	return len(as) < len(bs)
}
