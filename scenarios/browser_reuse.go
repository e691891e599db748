package scenarios

import (
	"maps"
	"slices"
	"strings"
)

// serves reports whether b, a local browser launched earlier, can run checks that need
// the options o: Chromium learns at launch which host names to map and which certificates
// to trust, so b must map every host of o to the same address, trust (by public key) every
// certificate o trusts, ignore certificate errors only if o does, have o's viewport, and
// still be running. A browser that does not serve o is not used (Options.Reuse): a run never
// trusts more, or resolves names otherwise, than its own browser would.
func (b *Browser) serves(o BrowserOptions) bool {
	if b == nil || b.ctx == nil || b.ctx.Err() != nil || b.opts.URL != "" || o.URL != "" {
		return false
	}
	if o.Width == 0 {
		o.Width, o.Height = 1024, 720
	}
	if o.Path != "" && o.Path != b.opts.Path || o.IgnoreCertErrors != b.opts.IgnoreCertErrors ||
		o.Width != b.opts.Width || o.Height != b.opts.Height {
		return false
	}
	if !maps.Equal(o.Hosts, b.opts.Hosts) {
		return false
	}
	have := strings.Split(spkiList(b.opts.TrustCertificates), ",")
	for _, h := range strings.Split(spkiList(o.TrustCertificates), ",") {
		if h != "" && !slices.Contains(have, h) {
			return false
		}
	}
	return true
}
