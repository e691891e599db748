package idp

import "testing"

// benchDirectC14N is BenchmarkExcC14N/direct: the direct writer's canonical Assertion.
func benchDirectC14N(b *testing.B, s *Server, in samlResponseInput) {
	b.Run("direct", func(b *testing.B) {
		d := s.directResponseFor(in)
		buf := make([]byte, 0, 8192)
		loop(b, func(int) {
			c := xw{b: buf[:0], canon: true}
			d.assertion(&c, nil)
		})
	})
}
