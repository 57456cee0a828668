package conformance_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/smtpkit/smtpkit/conformance"
	"github.com/smtpkit/smtpkit/internal/peers"
)

// repScreenshotEnv names a file TestHTMLScreenshot copies its screenshot
// to, for a person to look at.
const repScreenshotEnv = "SMTPKIT_SCREENSHOT"

// repHTML parses the HTML report of reps.
func repHTML(t *testing.T, o conformance.ReportOptions, reps ...*conformance.Report) (string, *html.Node) {
	t.Helper()
	o.Format = conformance.FormatHTML
	out := repWrite(t, o, reps...)
	doc, err := html.Parse(strings.NewReader(out))
	require.NoError(t, err)
	return out, doc
}

// repFind returns the elements below n that match.
func repFind(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var found []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			found = append(found, d)
		}
	}
	return found
}

// repTag matches the elements named tag.
func repTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

// repAttr returns n's attribute key.
func repAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// repText is the text below n, as a browser shows it (entities decoded).
func repText(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

// repWords is the words of the text below n, one space apart, each
// element's text a word of its own.
func repWords(n *html.Node) string {
	var words []string
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			words = append(words, strings.Fields(d.Data)...)
		}
	}
	return strings.Join(words, " ")
}

func TestHTMLReport(t *testing.T) {
	server, client := repSamples()
	out, doc := repHTML(t, conformance.ReportOptions{}, server, client)

	// Self-contained: one style sheet, no script, nothing loaded.
	assert.Len(t, repFind(doc, repTag("style")), 1)
	assert.Empty(t, repFind(doc, repTag("script")))
	assert.Empty(t, repFind(doc, repTag("link")))
	assert.Empty(t, repFind(doc, func(n *html.Node) bool { _, ok := repAttr(n, "src"); return ok }))
	assert.NotContains(t, out, "url(")
	assert.NotContains(t, out, "@import")
	for _, a := range repFind(doc, repTag("a")) {
		href, _ := repAttr(a, "href")
		assert.True(t, strings.HasPrefix(href, "https://www.rfc-editor.org/rfc/rfc"), "link %q", href)
	}

	// The headers: target, date, duration, counts and verdict.
	sections := repFind(doc, repTag("section"))
	require.Len(t, sections, 2)
	head := repWords(sections[0])
	for _, want := range []string{"Server suite 127.0.0.1:2525", "Started 2026-03-01 12:00:00 UTC", "Duration 1.234s",
		"Capabilities PIPELINING 8BITMIME SIZE=10240000 STARTTLS", "After STARTTLS PIPELINING 8BITMIME AUTH=PLAIN",
		"FAIL MUST failures: 1 SHOULD failures: 1 · MAY failures: 0", "5 cases 2 passed 2 failed 1 skipped"} {
		assert.Contains(t, head, want)
	}
	assert.Contains(t, repWords(sections[1]), "Client suite ./send.sh <b>")
	assert.Contains(t, out, "./send.sh &lt;b&gt;")
	assert.Contains(t, repWords(doc), "FAIL · MUST failures: 2", "the page's verdict over both reports")
	ts := repFind(sections[0], repTag("time"))
	require.Len(t, ts, 1)
	dt, _ := repAttr(ts[0], "datetime")
	assert.Equal(t, "2026-03-01T12:00:00Z", dt)

	// The cases grouped by RFC, in the order they come, one row each.
	var groups []string
	for _, h := range repFind(sections[0], repTag("h3")) {
		groups = append(groups, repWords(h))
	}
	assert.Equal(t, []string{
		"RFC 3030 CHUNKING and BINARYMIME 0 passed · 0 failed · 1 skipped",
		"RFC 3207 STARTTLS 1 passed · 0 failed · 0 skipped",
		"RFC 5321 Simple Mail Transfer Protocol 1 passed · 2 failed · 0 skipped",
	}, groups)
	for i, rep := range []*conformance.Report{server, client} {
		rows := repFind(sections[i], func(n *html.Node) bool { _, ok := repAttr(n, "id"); return n.Data == "tr" && ok })
		require.Len(t, rows, len(rep.Results))
		byID := map[string]*html.Node{}
		for _, r := range rows {
			id, _ := repAttr(r, "id")
			byID[id] = r
		}
		for _, res := range rep.Results {
			row := byID[rep.Suite.String()+"/"+res.Case.ID()]
			require.NotNil(t, row, res.Case.ID())
			class, _ := repAttr(row, "class")
			text := repWords(row)
			assert.Contains(t, text, res.Case.Title)
			assert.Contains(t, text, res.Case.Level.String())
			details := repFind(row, repTag("details"))
			switch res.Status {
			case conformance.Fail:
				assert.Equal(t, "fail", class)
				assert.Contains(t, text, res.Reason)
				assert.Contains(t, text, res.StepText)
				require.Len(t, details, 1, "a failure's transcript")
				_, open := repAttr(details[0], "open")
				assert.True(t, open, "a failure's transcript is unfolded")
				pre := repFind(details[0], repTag("pre"))
				require.Len(t, pre, 1)
				assert.Equal(t, res.Transcript.String(), repText(pre[0]))
			case conformance.Skipped:
				assert.Equal(t, "skip", class)
				assert.Contains(t, text, "skipped: "+res.Reason)
				assert.Empty(t, details)
			default:
				assert.Equal(t, "pass", class)
				assert.Empty(t, details, "passes have no transcript unless verbose")
			}
		}
	}

	// Verbose: every transcript, folded unless the case failed.
	_, doc = repHTML(t, conformance.ReportOptions{Verbose: true}, client)
	details := repFind(doc, repTag("details"))
	require.Len(t, details, 2)
	_, open := repAttr(details[0], "open")
	assert.False(t, open, "a pass's transcript is folded")
	assert.Contains(t, repText(details[0]), "C: QUIT")

	// A report with no MUST failure passes.
	pass := &conformance.Report{Suite: conformance.SuiteServer, Target: "mx", Started: repStarted,
		Results: []conformance.Result{server.Results[2], server.Results[4]}}
	_, doc = repHTML(t, conformance.ReportOptions{}, pass)
	verdict := repFind(doc, func(n *html.Node) bool { c, _ := repAttr(n, "class"); return c == "verdict ok" })
	require.Len(t, verdict, 1)
	assert.Equal(t, "PASS MUST failures: 0 SHOULD failures: 1 · MAY failures: 0", repWords(verdict[0]))
	assert.Equal(t, "SMTP conformance: server suite, mx", repText(repFind(doc, repTag("title"))[0]))
}

// Transcripts and reasons come from untrusted peers: markup in them is
// text, never markup.
func TestHTMLReportEscapes(t *testing.T) {
	c := &conformance.Case{RFC: 5321, Section: "4.5.2", Name: "evil", Level: conformance.Must, Title: `Title <img src=x onerror="alert(1)">`}
	rep := &conformance.Report{Suite: conformance.SuiteServer, Target: `"><script>alert(0)</script>`, Started: repStarted,
		Results: []conformance.Result{{Case: c, Status: conformance.Fail, Reason: `got "<script>alert(2)</script>"`,
			StepText: "</td></tr></table><script>", Step: 2,
			Transcript: repTranscript("S: 220 <script>alert(3)</script>\nC: EHLO x\nS: 250 </pre><script>alert(4)</script>\n")}}}
	out, doc := repHTML(t, conformance.ReportOptions{}, rep)
	assert.NotContains(t, out, "<script")
	assert.NotContains(t, out, "<img")
	assert.Contains(t, out, "S: 220 &lt;script&gt;alert(3)&lt;/script&gt;")
	assert.Contains(t, out, "&lt;/pre&gt;&lt;script&gt;alert(4)&lt;/script&gt;")
	assert.Empty(t, repFind(doc, repTag("script")))
	assert.Empty(t, repFind(doc, repTag("img")))
	pre := repFind(doc, repTag("pre"))
	require.Len(t, pre, 1)
	assert.Equal(t, rep.Results[0].Transcript.String(), repText(pre[0]), "the transcript reads as it was")
	assert.Contains(t, repText(doc), `step 2 (</td></tr></table><script>): got "<script>alert(2)</script>"`)
}

// TestHTMLScreenshot renders a sample report in headless Chromium and
// checks the screenshot: the expected size, and a page drawn in many
// colours, the failure red among them. With SMTPKIT_SCREENSHOT=file.png
// the screenshot is kept there.
func TestHTMLScreenshot(t *testing.T) {
	chromium := peers.Need(t, "chromium")
	dir := t.TempDir()
	server, client := repSamples()
	page := filepath.Join(dir, "report.html")
	require.NoError(t, os.WriteFile(page, []byte(repWrite(t, conformance.ReportOptions{Format: conformance.FormatHTML}, server, client)), 0o600))
	shot := filepath.Join(dir, "shot.png")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+shot,
		"--window-size=1280,2000", "file://"+page)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "chromium: %s", out)
	require.NoError(t, ctx.Err())

	data, err := os.ReadFile(shot)
	require.NoError(t, err, "chromium wrote no screenshot: %s", out)
	if keep := os.Getenv(repScreenshotEnv); keep != "" {
		require.NoError(t, os.WriteFile(keep, data, 0o644))
		t.Logf("screenshot kept in %s", keep)
	}
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	require.Equal(t, 1280, img.Bounds().Dx())
	require.Equal(t, 2000, img.Bounds().Dy())

	colours := map[[3]uint32]int{}
	red := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			colours[[3]uint32{r, g, bl}]++
			if r > 180 && g < 80 && bl < 80 {
				red++
			}
		}
	}
	assert.Greater(t, len(colours), 32, "the page is drawn in many colours, not blank")
	assert.Greater(t, red, 200, "the failure badges and verdict are red")
}
