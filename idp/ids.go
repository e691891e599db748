package idp

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"io"
	mrand "math/rand/v2"
	"sync"
)

// randSource is the server's one random source. IDs (GUIDs, session IDs, codes) come from it;
// with a seed it is deterministic, which golden files need. RSA signatures (PKCS #1 v1.5) are
// deterministic by themselves and do not draw from it.
type randSource struct {
	mu sync.Mutex
	r  io.Reader
}

// NewSeededRand returns a deterministic random source for reproducible output (tests and
// golden files). Never use it for a server reachable by anyone else.
func NewSeededRand(seed uint64) io.Reader {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return mrand.NewChaCha8(s)
}

func (r *randSource) read(b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	src := r.r
	if src == nil {
		src = rand.Reader
	}
	if _, err := io.ReadFull(src, b); err != nil {
		panic("idp: random source failed: " + err.Error()) // crypto/rand never fails on Linux
	}
}

// guid returns a random (version 4) GUID in Entra's lower-case form. A sign-in makes half a
// dozen (event, correlation, session, token IDs): written with hex.Encode into one array
// rather than fmt.Sprintf, which boxed each of its five parts — 2 allocations instead of 7.
func (r *randSource) guid() string {
	var b [16]byte
	r.read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatGUID(&b)
}

// formatGUID writes b as 8-4-4-4-12 lower-case hex digits.
func formatGUID(b *[16]byte) string {
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}

// token returns n random bytes, hex encoded (for session IDs and flow handles).
func (r *randSource) token(n int) string {
	b := make([]byte, n)
	r.read(b)
	return hex.EncodeToString(b)
}
