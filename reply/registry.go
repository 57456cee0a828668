package reply

import "slices"

//go:generate go run ./internal/genenhanced

// EnhancedEntry is one enumerated code of the IANA "SMTP Enhanced Status
// Codes" registry (RFC 5248), written X.Subject.Detail: the registry applies
// it to every class. The table is generated from enhanced.csv.
type EnhancedEntry struct {
	// Subject and Detail are the second and third parts of the code.
	Subject, Detail uint16
	// Text is the registry's sample text, e.g. "Bad destination mailbox
	// address". It is empty only for a deprecated entry that has none.
	Text string
	// Reference names the defining documents, e.g. "RFC 3463" or
	// "RFC 7505; RFC 7504".
	Reference string
	// Basic lists the basic reply codes the registry associates with the
	// code, in the registry's order; it is nil when the registry gives none.
	Basic []Code
	// Deprecated reports an entry the registry keeps only as deprecated.
	Deprecated bool
	// Note is a short remark: when the code applies (permanent or transient
	// failures), or a registry remark that is not a list of codes.
	Note string
}

// Code returns the entry as an enhanced code of the given class, e.g.
// entry X.1.1 with class 5 is 5.1.1.
func (e EnhancedEntry) Code(class uint8) Enhanced {
	return Enhanced{Class: class, Subject: e.Subject, Detail: e.Detail}
}

// lookupEnhanced returns the index of subject.detail in enhancedTable.
func lookupEnhanced(subject, detail uint16) (int, bool) {
	return slices.BinarySearchFunc(enhancedTable[:], [2]uint16{subject, detail}, func(e EnhancedEntry, k [2]uint16) int {
		switch {
		case e.Subject != k[0]:
			return int(e.Subject) - int(k[0])
		default:
			return int(e.Detail) - int(k[1])
		}
	})
}

// LookupEnhanced returns the registry entry for e's subject and detail; the
// class of e is ignored, as the registry lists codes as X.s.d. The entry's
// Basic slice is the caller's own copy.
func LookupEnhanced(e Enhanced) (EnhancedEntry, bool) {
	i, ok := lookupEnhanced(e.Subject, e.Detail)
	if !ok {
		return EnhancedEntry{}, false
	}
	entry := enhancedTable[i]
	entry.Basic = slices.Clone(entry.Basic)
	return entry, true
}

// EnhancedEntries returns a copy of the whole registry table, sorted by
// subject and detail.
func EnhancedEntries() []EnhancedEntry {
	out := make([]EnhancedEntry, len(enhancedTable))
	copy(out, enhancedTable[:])
	for i := range out {
		out[i].Basic = slices.Clone(out[i].Basic)
	}
	return out
}

// SubjectText returns the registry's summary of a subject sub-code (RFC 3463
// section 2), e.g. "Addressing Status" for 1, or "" for an unknown subject.
func SubjectText(subject uint16) string {
	if int(subject) < len(enhancedSubjectText) {
		return enhancedSubjectText[subject]
	}
	return ""
}

// classText returns the registry's summary of a class sub-code, or "".
func classText(class uint8) string {
	if int(class) < len(enhancedClassText) {
		return enhancedClassText[class]
	}
	return ""
}

// Description returns a human-readable meaning of e: the registry text of
// its subject and detail. As RFC 3463 section 2 asks of a client that does
// not know a detail, it falls back to the meaning of the subject, and then
// to the meaning of the class. It returns "" for a zero or invalid e.
// Description does not allocate.
func (e Enhanced) Description() string {
	if !e.Valid() {
		return ""
	}
	if i, ok := lookupEnhanced(e.Subject, e.Detail); ok && enhancedTable[i].Text != "" {
		return enhancedTable[i].Text
	}
	if t := SubjectText(e.Subject); t != "" {
		return t
	}
	return classText(e.Class)
}
