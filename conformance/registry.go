package conformance

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

var registry = map[Suite][]*Case{}

// register adds cases to a suite's list; the case files call it when the
// package is initialised.
func register(suite Suite, cases ...*Case) []*Case {
	registry[suite] = append(registry[suite], cases...)
	return cases
}

// ServerCases returns the server suite: every case that plays a client
// against a server, ordered by RFC, section and name. The slice is new;
// the cases are shared and must not be modified.
func ServerCases() []*Case { return sorted(registry[SuiteServer]) }

// ClientCases returns the client suite: every case that plays a scripted
// server against a client, ordered like ServerCases.
func ClientCases() []*Case { return sorted(registry[SuiteClient]) }

func sorted(cases []*Case) []*Case {
	out := slices.Clone(cases)
	slices.SortStableFunc(out, func(a, b *Case) int {
		return cmp.Or(cmp.Compare(a.RFC, b.RFC), compareSections(a.Section, b.Section), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// compareSections orders "4.1.10" after "4.1.9" and "D.1" after "9".
func compareSections(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, errX := strconv.Atoi(as[i])
		y, errY := strconv.Atoi(bs[i])
		switch {
		case errX == nil && errY == nil:
			if c := cmp.Compare(x, y); c != 0 {
				return c
			}
		case errX == nil:
			return -1
		case errY == nil:
			return 1
		default:
			if c := cmp.Compare(as[i], bs[i]); c != 0 {
				return c
			}
		}
	}
	return cmp.Compare(len(as), len(bs))
}
