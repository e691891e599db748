package load

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/ssoharness/ssoharness/internal/signer"
)

// SignatureCost is the measured CPU cost of one RSA-2048 signature.
type SignatureCost struct {
	// PerSignature is CPU time per signature.
	PerSignature time.Duration
	// Signatures is how many were made, CPU their total CPU time and Wall the elapsed time.
	Signatures int
	CPU        time.Duration
	Wall       time.Duration
	// Given is true when the cost was given (Options.SignatureCost), not measured.
	Given bool
	// Signer is the backend measured (signer.Backend's String), "" when given.
	Signer string
}

// Minimums of MeasureSignatureCost.
const (
	// MinSignatures is the fewest signatures Run times.
	MinSignatures = 200
	// MinSignatureTime is the least CPU time Run spends signing.
	MinSignatureTime = 500 * time.Millisecond
)

// MeasureSignatureCost is MeasureSignatureCostWith Go's crypto/rsa.
func MeasureSignatureCost(minSigs int, minTime time.Duration) (SignatureCost, error) {
	return MeasureSignatureCostWith(signer.Go(), minSigs, minTime)
}

// MeasureSignatureCostWith generates an RSA-2048 key and signs distinct SHA-256 digests
// (PKCS#1 v1.5, with backend b, as the server would) in one goroutine locked to its OS thread, until at least
// minSigs signatures and minTime of CPU time, and returns the thread's CPU time
// (getrusage RUSAGE_THREAD) per signature: the median of batches of 20. Run it on an otherwise idle process: it measures
// CPU time, not wall time, but a busy machine still slows it through caches and frequency.
func MeasureSignatureCostWith(b signer.Backend, minSigs int, minTime time.Duration) (SignatureCost, error) {
	if minSigs < 1 {
		minSigs = 1
	}
	type result struct {
		c   SignatureCost
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		c, err := measureSignatures(b, minSigs, minTime)
		c.Signer = b.String()
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

func measureSignatures(b signer.Backend, minSigs int, minTime time.Duration) (SignatureCost, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return SignatureCost{}, err
	}
	s := b.Signer(key)
	sign := func(i int) error {
		var msg [8]byte
		binary.BigEndian.PutUint64(msg[:], uint64(i))
		d := sha256.Sum256(msg[:])
		_, err := s.Sign(nil, d[:], crypto.SHA256)
		return err
	}
	// Warm up: the first signature precomputes CRT values and fills caches.
	for i := range 10 {
		if err := sign(-1 - i); err != nil {
			return SignatureCost{}, err
		}
	}
	// Batches of 20 signatures, each timed on the thread's CPU clock; the cost is the median
	// batch's, so that a batch slowed by something else on the machine (an interrupt, a
	// busy sibling hyperthread) does not move it.
	const batch = 20
	start := time.Now()
	var perSig []time.Duration
	var total time.Duration
	n := 0
	for n < minSigs || total < minTime {
		cpu0, err := threadCPU()
		if err != nil {
			return SignatureCost{}, err
		}
		for range batch {
			if err := sign(n); err != nil {
				return SignatureCost{}, err
			}
			n++
		}
		cpu1, err := threadCPU()
		if err != nil {
			return SignatureCost{}, err
		}
		total += cpu1 - cpu0
		perSig = append(perSig, (cpu1-cpu0)/batch)
		if n > 1_000_000 {
			return SignatureCost{}, fmt.Errorf("thread CPU time does not advance (%v after %d signatures)", total, n)
		}
	}
	slices.Sort(perSig)
	return SignatureCost{PerSignature: perSig[len(perSig)/2], Signatures: n, CPU: total, Wall: time.Since(start)}, nil
}
