package conformance

import (
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"
)

// This file holds the HTML format (FormatHTML): one self-contained page,
// its CSS embedded, with no script and nothing loaded from elsewhere.
// html/template escapes every text, transcripts from untrusted peers
// included.

// htmlRFCNames names the RFCs the suites cite, for the group headings.
var htmlRFCNames = map[int]string{
	1870: "SIZE",
	2033: "LMTP",
	2034: "ENHANCEDSTATUSCODES",
	2195: "CRAM-MD5",
	2852: "DELIVERBY",
	2920: "PIPELINING",
	3030: "CHUNKING and BINARYMIME",
	3207: "STARTTLS",
	3461: "DSN",
	3463: "Enhanced Mail System Status Codes",
	4616: "SASL PLAIN",
	4865: "FUTURERELEASE",
	4954: "AUTH",
	5321: "Simple Mail Transfer Protocol",
	5322: "Internet Message Format",
	5802: "SCRAM",
	6152: "8BITMIME",
	6409: "Message Submission",
	6531: "SMTPUTF8",
	6710: "MT-PRIORITY",
	7677: "SCRAM-SHA-256",
	8689: "REQUIRETLS",
	9422: "LIMITS",
}

// htmlPage is what the template renders.
type htmlPage struct {
	Title   string
	Multi   bool
	Verdict htmlVerdict
	Reports []htmlReport
}

// htmlVerdict is a report's, or the page's, judgement: it passes when no
// MUST case failed.
type htmlVerdict struct {
	Pass                          bool
	MustFail, ShouldFail, MayFail int
}

// htmlReport is one report's section of the page.
type htmlReport struct {
	// Suite is "Server" or "Client".
	Suite, Target                 string
	Started, StartedISO, Duration string
	Capabilities, TLSCapabilities string
	Total, Pass, Fail, Skip, None int
	Verdict                       htmlVerdict
	Groups                        []*htmlGroup
}

// htmlGroup is the cases of one RFC.
type htmlGroup struct {
	RFC                     int
	Name, Link              string
	Pass, Fail, Skip, Total int
	Rows                    []htmlRow
}

// htmlRow is one case's row.
type htmlRow struct {
	// Anchor is the row's id: the suite and the case ID, unique on the
	// page.
	Anchor                           string
	ID, Status, Level, Section, Link string
	Title, Detail, Duration          string
	Transcript                       []htmlLine
	// Open shows the transcript unfolded (failures).
	Open bool
}

// htmlLine is one transcript line; Class is "c" (client), "s" (server)
// or "m" (comments, TLS, close, waits).
type htmlLine struct{ Class, Text string }

// htmlVerdictOf judges a tally.
func htmlVerdictOf(t reportTally) htmlVerdict {
	return htmlVerdict{Pass: t.mustFail == 0, MustFail: t.mustFail, ShouldFail: t.shouldFail, MayFail: t.mayFail}
}

// htmlRFCLink returns the RFC Editor's address of an RFC's section ("" for
// the whole RFC).
func htmlRFCLink(rfc int, section string) string {
	u := "https://www.rfc-editor.org/rfc/rfc" + strconv.Itoa(rfc)
	switch {
	case section == "":
		return u
	case section[0] >= 'A' && section[0] <= 'Z':
		return u + "#appendix-" + section
	}
	return u + "#section-" + section
}

// htmlTranscript splits a transcript's text into classed lines.
func htmlTranscript(text string) []htmlLine {
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	out := make([]htmlLine, len(lines))
	for i, l := range lines {
		class := "m"
		switch {
		case strings.HasPrefix(l, "C:") || strings.HasPrefix(l, "C+"):
			class = "c"
		case strings.HasPrefix(l, "S:") || strings.HasPrefix(l, "S+"):
			class = "s"
		}
		out[i] = htmlLine{class, l}
	}
	return out
}

// htmlReportOf lays out one report: its counts and its cases grouped by
// RFC, the groups in the order their first cases come.
func htmlReportOf(o ReportOptions, rep *Report) htmlReport {
	t := tallyReport(rep)
	suite := reportSuite(rep)
	hr := htmlReport{
		Suite:           strings.ToUpper(suite[:1]) + suite[1:],
		Target:          rep.Target,
		Started:         rep.Started.Format("2006-01-02 15:04:05 MST"),
		StartedISO:      rep.Started.Format(time.RFC3339),
		Duration:        reportDuration(rep.Duration),
		Capabilities:    strings.Join(rep.Capabilities, " "),
		TLSCapabilities: strings.Join(rep.TLSCapabilities, " "),
		Total:           t.total(),
		Pass:            t.pass,
		Fail:            t.fail,
		Skip:            t.skip,
		None:            t.none,
		Verdict:         htmlVerdictOf(t),
	}
	groups := map[int]*htmlGroup{}
	for i := range rep.Results {
		res := &rep.Results[i]
		c := reportCase(res)
		g := groups[c.RFC]
		if g == nil {
			g = &htmlGroup{RFC: c.RFC, Name: htmlRFCNames[c.RFC], Link: htmlRFCLink(c.RFC, "")}
			groups[c.RFC] = g
			hr.Groups = append(hr.Groups, g)
		}
		g.Total++
		switch res.Status {
		case Pass:
			g.Pass++
		case Fail:
			g.Fail++
		case Skipped:
			g.Skip++
		}
		row := htmlRow{
			Anchor:   suite + "/" + c.ID(),
			ID:       c.ID(),
			Status:   reportStatus(res.Status),
			Level:    c.Level.String(),
			Section:  c.Section,
			Link:     htmlRFCLink(c.RFC, c.Section),
			Title:    c.Title,
			Duration: "–",
			Open:     res.Status == Fail,
		}
		if res.Duration > 0 {
			row.Duration = reportDuration(res.Duration)
		}
		if res.Status != Pass {
			row.Detail = reportOutcome(res)
		}
		if o.showTranscript(res) {
			row.Transcript = htmlTranscript(transcriptOf(res))
		}
		g.Rows = append(g.Rows, row)
	}
	return hr
}

// writeHTML writes the HTML format (FormatHTML).
func writeHTML(w io.Writer, o ReportOptions, reps []*Report) error {
	page := htmlPage{Title: "SMTP conformance report", Multi: len(reps) > 1}
	var all reportTally
	for _, rep := range reps {
		hr := htmlReportOf(o, rep)
		page.Reports = append(page.Reports, hr)
		all.add(tallyReport(rep))
	}
	page.Verdict = htmlVerdictOf(all)
	if len(reps) == 1 {
		page.Title = "SMTP conformance: " + strings.ToLower(page.Reports[0].Suite) + " suite, " + reps[0].Target
	}
	return htmlTemplate.Execute(w, &page)
}

// htmlTemplate renders an htmlPage.
var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// htmlSource is the page's template, its CSS included.
const htmlSource = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
:root {
  --fg: #1f2328; --muted: #59636e; --line: #d8dee4; --page: #f6f8fa; --card: #fff;
  --pass: #1a7f37; --pass-bg: #dafbe1; --fail: #cf222e; --fail-bg: #ffebe9;
  --skip: #7d4e00; --skip-bg: #fff8c5; --none: #59636e; --none-bg: #eaeef2;
  --mono: ui-monospace, "SFMono-Regular", "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1160px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 22px; font-weight: 600; margin: 0 0 18px; }
code, pre { font-family: var(--mono); font-size: 13px; }
a { color: #0969da; text-decoration: none; }
a:hover { text-decoration: underline; }
.report { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 24px 28px; margin-bottom: 28px; }
.head { display: flex; justify-content: space-between; align-items: flex-start; gap: 24px; }
h2 { font-size: 19px; font-weight: 600; margin: 0 0 10px; }
h2 .target { font-family: var(--mono); font-size: 16px; font-weight: 500; color: var(--muted); margin-left: 6px; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 0; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; overflow-wrap: anywhere; }
.verdict { flex: none; min-width: 210px; border: 1px solid; border-radius: 8px; padding: 12px 20px; text-align: center; }
.verdict strong { display: block; font-size: 24px; letter-spacing: .06em; }
.verdict .must { font-weight: 600; }
.verdict .more { display: block; font-size: 13px; opacity: .85; }
.ok { color: var(--pass); background: var(--pass-bg); border-color: #4ac26b; }
.bad { color: var(--fail); background: var(--fail-bg); border-color: #ff8182; }
.page-verdict { display: inline-block; border: 1px solid; border-radius: 8px; padding: 6px 16px; margin: 0 0 20px; font-weight: 600; }
.counts { list-style: none; display: flex; flex-wrap: wrap; gap: 10px; margin: 20px 0 4px; padding: 0; }
.counts li { border: 1px solid var(--line); border-radius: 8px; padding: 4px 14px; background: var(--page); }
.counts b { font-size: 18px; margin-right: 4px; font-variant-numeric: tabular-nums; }
.counts .pass b { color: var(--pass); }
.counts .fail b { color: var(--fail); }
.counts .skip b { color: var(--skip); }
h3 { display: flex; align-items: baseline; gap: 10px; font-size: 16px; font-weight: 600; margin: 28px 0 6px; }
h3 .name { color: var(--muted); font-weight: 400; }
h3 .tally { margin-left: auto; color: var(--muted); font-size: 13px; font-weight: 400; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th { text-align: left; font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em;
  color: var(--muted); border-bottom: 2px solid var(--line); padding: 6px 8px; }
td { border-bottom: 1px solid var(--line); padding: 9px 8px; vertical-align: top; }
th.st, th.lv { width: 84px; }
th.sec { width: 92px; }
th.tm { width: 76px; text-align: right; }
td.tm { text-align: right; color: var(--muted); font-variant-numeric: tabular-nums; white-space: nowrap; }
td.sec { font-family: var(--mono); font-size: 13px; }
tr.fail td:first-child { box-shadow: inset 3px 0 0 var(--fail); }
.badge { display: inline-block; min-width: 52px; text-align: center; border-radius: 999px; padding: 1px 9px;
  font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: .03em; }
.badge.pass { color: var(--pass); background: var(--pass-bg); }
.badge.fail { color: #fff; background: var(--fail); }
.badge.skip { color: var(--skip); background: var(--skip-bg); }
.badge.none { color: var(--none); background: var(--none-bg); }
.level { font-size: 12px; font-weight: 600; letter-spacing: .03em; }
.level.SHOULD, .level.MAY { color: var(--muted); }
.title { font-weight: 500; }
.id { font-family: var(--mono); font-size: 12px; color: var(--muted); overflow-wrap: anywhere; }
.detail { margin-top: 6px; padding: 5px 10px; border-left: 3px solid; border-radius: 3px; font-family: var(--mono); font-size: 13px; overflow-wrap: anywhere; }
tr.fail .detail { border-color: var(--fail); background: var(--fail-bg); }
tr.skip .detail, tr.none .detail { border-color: #d4a72c; background: var(--skip-bg); }
details { margin-top: 8px; }
summary { cursor: pointer; color: var(--muted); font-size: 13px; }
pre { margin: 6px 0 0; padding: 10px 12px; background: var(--page); border: 1px solid var(--line); border-radius: 6px;
  line-height: 1.45; white-space: pre-wrap; overflow-wrap: anywhere; }
pre .c { color: #0550ae; }
pre .s { color: #116329; }
pre .m { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: 13px; text-align: center; }
@media screen and (max-width: 760px) { .head { flex-direction: column; } th.sec, td.sec, th.tm, td.tm { display: none; } }
@media print {
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { background: #fff; font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  .report { border: 0; border-radius: 0; padding: 0; margin: 0 0 24pt; }
  .report + .report { break-before: page; }
  h3 { break-after: avoid; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; }
  summary { list-style: none; }
  summary::-webkit-details-marker { display: none; }
  footer { display: none; }
}
</style>
</head>
<body>
<main>
<h1>SMTP conformance report</h1>
{{- if .Multi}}
<p class="page-verdict {{if .Verdict.Pass}}ok{{else}}bad{{end}}">{{if .Verdict.Pass}}PASS{{else}}FAIL{{end}} · MUST failures: {{.Verdict.MustFail}}</p>
{{- end}}
{{range .Reports}}
<section class="report">
<div class="head">
<div>
<h2>{{.Suite}} suite <span class="target">{{.Target}}</span></h2>
<dl class="meta">
<dt>Started</dt><dd><time datetime="{{.StartedISO}}">{{.Started}}</time></dd>
<dt>Duration</dt><dd>{{.Duration}}</dd>
{{- with .Capabilities}}
<dt>Capabilities</dt><dd><code>{{.}}</code></dd>
{{- end}}
{{- with .TLSCapabilities}}
<dt>After STARTTLS</dt><dd><code>{{.}}</code></dd>
{{- end}}
</dl>
</div>
<div class="verdict {{if .Verdict.Pass}}ok{{else}}bad{{end}}">
<strong>{{if .Verdict.Pass}}PASS{{else}}FAIL{{end}}</strong>
<span class="must">MUST failures: {{.Verdict.MustFail}}</span>
<span class="more">SHOULD failures: {{.Verdict.ShouldFail}} · MAY failures: {{.Verdict.MayFail}}</span>
</div>
</div>
<ul class="counts">
<li><b>{{.Total}}</b> cases</li>
<li class="pass"><b>{{.Pass}}</b> passed</li>
<li class="fail"><b>{{.Fail}}</b> failed</li>
<li class="skip"><b>{{.Skip}}</b> skipped</li>
{{- if .None}}
<li><b>{{.None}}</b> without outcome</li>
{{- end}}
</ul>
{{- range .Groups}}
<h3><a href="{{.Link}}">RFC {{.RFC}}</a>{{with .Name}} <span class="name">{{.}}</span>{{end}}<span class="tally">{{.Pass}} passed · {{.Fail}} failed · {{.Skip}} skipped</span></h3>
<table>
<thead><tr><th class="st">Status</th><th class="lv">Level</th><th class="sec">Section</th><th>Case</th><th class="tm">Time</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr class="{{.Status}}" id="{{.Anchor}}">
<td><span class="badge {{.Status}}">{{.Status}}</span></td>
<td><span class="level {{.Level}}">{{.Level}}</span></td>
<td class="sec"><a href="{{.Link}}">{{.Section}}</a></td>
<td><div class="title">{{.Title}}</div><div class="id">{{.ID}}</div>
{{- with .Detail}}
<div class="detail">{{.}}</div>
{{- end}}
{{- if .Transcript}}
<details{{if .Open}} open{{end}}><summary>Transcript ({{len .Transcript}} lines)</summary>
<pre>{{range .Transcript}}<span class="{{.Class}}">{{.Text}}</span>
{{end}}</pre>
</details>
{{- end}}
</td>
<td class="tm">{{.Duration}}</td>
</tr>
{{- end}}
</tbody>
</table>
{{- end}}
</section>
{{end}}
<footer>smtpkit conformance</footer>
</main>
</body>
</html>
`
