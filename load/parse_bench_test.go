package load

import (
	"net/url"
	"strings"
	"testing"
)

// BenchmarkParsePage is the driver's HTML reading of the two kinds of page a mock sign-in
// shows: the sign-in page (twice per sign-in) and the auto-posting page with an ~8 KB
// SAMLResponse (once per SAML sign-in). The driver's CPU is not the server's, but it shares
// the machine with it: what it saves is CPU the server gets under load.
func BenchmarkParsePage(b *testing.B) {
	base, _ := url.Parse("http://127.0.0.1:7443/3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15/saml2?SAMLRequest=x")
	post := `<html><body onload="document.forms[0].submit()"><form method="POST" name="hiddenform" action="https://sp.example.test/saml/acs">
<input type="hidden" name="SAMLResponse" value="` + strings.Repeat("PHNhbWxwOlJlc3BvbnNlLz4", 350) + `="><input type="hidden" name="RelayState" value="r&amp;1">
<noscript><input type="submit" value="Submit"></noscript></form></body></html>`
	for _, c := range []struct{ name, body string }{{"signin", mockPasswordPage}, {"autopost", post}} {
		b.Run(c.name, func(b *testing.B) {
			body := []byte(c.body)
			b.ReportAllocs()
			cpu0, err := selfCPU()
			for b.Loop() {
				if p := parsePage(base, body); len(p.forms) != 1 {
					b.Fatal("no form")
				}
			}
			// CPU time, not wall time, is the figure on a shared machine.
			if cpu1, err1 := selfCPU(); err == nil && err1 == nil {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
