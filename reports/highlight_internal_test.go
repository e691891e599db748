package reports

import (
	"testing"
	"time"
)

func TestHighlight(t *testing.T) {
	for _, c := range []struct {
		in    string
		hl    []string
		want  string
		marks int
	}{
		{`a<b>&"c"`, nil, `a&lt;b&gt;&amp;&#34;c&#34;`, 0},
		{`a<b>&"c"`, []string{""}, `a&lt;b&gt;&amp;&#34;c&#34;`, 0},
		{`a<b>&"c"`, []string{"<b>"}, `a<mark>&lt;b&gt;</mark>&amp;&#34;c&#34;`, 1},
		// A highlight that would match inside an entity of the escaped text does not break it.
		{`x & amp; y`, []string{"amp"}, `x &amp; <mark>amp</mark>; y`, 1},
		{`lt <`, []string{"lt"}, `<mark>lt</mark> &lt;`, 1},
		// Every occurrence; overlapping and adjacent matches merge.
		{`abcabc`, []string{"bc"}, `a<mark>bc</mark>a<mark>bc</mark>`, 2},
		{`abcdef`, []string{"abc", "bcd"}, `<mark>abcd</mark>ef`, 1},
		{`abcdef`, []string{"ab", "cd"}, `<mark>abcd</mark>ef`, 1},
		{`abcdef`, []string{"bcd", "c"}, `a<mark>bcd</mark>ef`, 1},
		{`aaaa`, []string{"aa"}, `<mark>aaaa</mark>`, 1},
		{`no match`, []string{"zzz"}, `no match`, 0},
		{`<script>`, []string{`<script>`}, `<mark>&lt;script&gt;</mark>`, 1},
	} {
		got, marks := highlight(c.in, c.hl)
		if string(got) != c.want || marks != c.marks {
			t.Errorf("highlight(%q, %q) = %q, %d; want %q, %d", c.in, c.hl, got, marks, c.want, c.marks)
		}
	}
}

func TestFmtDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                        "0.0s",
		-time.Second:             "0.0s",
		420 * time.Millisecond:   "0.4s",
		12340 * time.Millisecond: "12.3s",
		65 * time.Second:         "1m05s",
		time.Hour + 2*time.Minute + 3*time.Second: "1h02m03s",
	} {
		if got := fmtDuration(d); got != want {
			t.Errorf("fmtDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestIsWebURL(t *testing.T) {
	for s, want := range map[string]bool{
		"https://learn.microsoft.com/x": true,
		"http://127.0.0.1:7443":         true,
		"javascript:alert(1)":           false,
		"SAML Core 2.0 §2.5.1.4":        false,
		"https://":                      false,
		"data:text/html,<b>":            false,
	} {
		if got := isWebURL(s); got != want {
			t.Errorf("isWebURL(%q) = %v", s, got)
		}
	}
}
