package signer_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/ssoharness/ssoharness/internal/signer"
)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

// key is one RSA-2048 key for every test of the package (generation costs ~100 ms).
func key(t testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		testKey = k
	})
	return testKey
}

// openSSL is the OpenSSL backend; without it (a CGO_ENABLED=0 test binary, no libcrypto.so.3)
// the test skips, or fails under CI=true, where it must be available.
func openSSL(t testing.TB) signer.Backend {
	t.Helper()
	b, err := signer.OpenSSL()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("OpenSSL signer unavailable under CI: %v", err)
		}
		t.Skipf("OpenSSL signer unavailable: %v", err)
	}
	return b
}

// TestOpenSSLSignaturesVerify signs digests of each hash the mock uses (SHA-256, SHA-1 for
// apps set to it) and wider ones with the OpenSSL signer: every signature verifies with Go's
// crypto/rsa and is byte for byte Go's (PKCS #1 v1.5 is deterministic); PSS verifies too.
func TestOpenSSLSignaturesVerify(t *testing.T) {
	o := openSSL(t)
	k := key(t)
	s := o.Signer(k)
	if s.Public().(*rsa.PublicKey).Equal(&k.PublicKey) == false {
		t.Fatal("Public is not the key's")
	}
	msg := []byte("<ds:SignedInfo>…</ds:SignedInfo>")
	d1, d256, d384, d512 := sha1.Sum(msg), sha256.Sum256(msg), sha512.Sum384(msg), sha512.Sum512(msg)
	for _, c := range []struct {
		h crypto.Hash
		d []byte
	}{{crypto.SHA1, d1[:]}, {crypto.SHA256, d256[:]}, {crypto.SHA384, d384[:]}, {crypto.SHA512, d512[:]}} {
		sig, err := s.Sign(rand.Reader, c.d, c.h)
		if err != nil {
			t.Fatalf("%v: %v", c.h, err)
		}
		if err := rsa.VerifyPKCS1v15(&k.PublicKey, c.h, c.d, sig); err != nil {
			t.Errorf("%v: crypto/rsa does not verify OpenSSL's signature: %v", c.h, err)
		}
		want, _ := rsa.SignPKCS1v15(nil, k, c.h, c.d)
		if !bytes.Equal(sig, want) {
			t.Errorf("%v: OpenSSL's PKCS #1 v1.5 signature differs from crypto/rsa's", c.h)
		}
		pss, err := s.Sign(rand.Reader, c.d, &rsa.PSSOptions{Hash: c.h})
		if err != nil {
			t.Fatalf("%v PSS: %v", c.h, err)
		}
		if err := rsa.VerifyPSS(&k.PublicKey, c.h, c.d, pss, nil); err != nil {
			t.Errorf("%v: crypto/rsa does not verify OpenSSL's PSS signature: %v", c.h, err)
		}
	}
	// Control: a changed digest does not verify, or the checks above prove nothing.
	sig, _ := s.Sign(nil, d256[:], crypto.SHA256)
	d256[0] ^= 1
	if rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, d256[:], sig) == nil {
		t.Error("control: a signature verifies over another digest")
	}
	if _, err := s.Sign(nil, d1[:], crypto.SHA256); err == nil {
		t.Error("a SHA-1 sized digest signed as SHA-256")
	}
	if !strings.HasPrefix(o.String(), "openssl (OpenSSL ") || o.Name() != signer.NameOpenSSL {
		t.Errorf("describes itself as %q / %q", o.Name(), o.String())
	}
}

// TestOpenSSLKeyCached: the OpenSSL key is converted once per *rsa.PrivateKey, not per
// signature (the same Signer comes back), and a key loaded without precomputed CRT values
// signs as well.
func TestOpenSSLKeyCached(t *testing.T) {
	o := openSSL(t)
	k := key(t)
	if o.Signer(k) != o.Signer(k) {
		t.Error("a second Signer for the same key: the conversion is not cached")
	}
	bare := &rsa.PrivateKey{PublicKey: k.PublicKey, D: k.D, Primes: k.Primes}
	d := sha256.Sum256([]byte("x"))
	sig, err := o.Signer(bare).Sign(nil, d[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, d[:], sig); err != nil {
		t.Error(err)
	}
}

// TestChoose: the names, and Go always available.
func TestChoose(t *testing.T) {
	if b, _, err := signer.Choose("go"); err != nil || b.Name() != "go" || b.String() != "go (crypto/rsa)" {
		t.Errorf("go: %v %v", b, err)
	}
	if _, _, err := signer.Choose("boring"); err == nil {
		t.Error("an unknown signer name is accepted")
	}
	b, note, err := signer.Choose("auto")
	if err != nil {
		t.Fatal(err)
	}
	if _, oerr := signer.OpenSSL(); (oerr == nil) != (b.Name() == "openssl") || (note == "") != (oerr == nil) {
		t.Errorf("auto chose %s (note %q) while OpenSSL says %v", b, note, oerr)
	}
}

// TestFallbackWithoutLibcrypto runs this test binary again with MOCKIDP_LIBCRYPTO pointing at
// a library that does not exist: auto falls back to Go's crypto/rsa and says why, and
// openssl is refused. (libcrypto is loaded once per process, hence the child process.)
func TestFallbackWithoutLibcrypto(t *testing.T) {
	if os.Getenv("SIGNER_TEST_CHILD") == "1" {
		b, note, _ := signer.Choose("auto")
		_, err := signer.OpenSSL()
		os.Stdout.WriteString("CHOSE " + b.Name() + "|" + note + "|" + errString(err) + "\n")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestFallbackWithoutLibcrypto$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SIGNER_TEST_CHILD=1", signer.EnvLibcrypto+"=/nonexistent/libcrypto.so.3")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	_, line, ok := strings.Cut(string(out), "CHOSE ")
	if !ok {
		t.Fatalf("child printed no choice:\n%s", out)
	}
	line, _, _ = strings.Cut(line, "\n")
	parts := strings.SplitN(line, "|", 3)
	if parts[0] != "go" {
		t.Errorf("without libcrypto auto chose %q, want go", parts[0])
	}
	if !strings.Contains(parts[1], "OpenSSL not used") || parts[2] == "" {
		t.Errorf("no reason given: note %q, openssl error %q", parts[1], parts[2])
	}
	t.Logf("without libcrypto: %s", line)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// BenchmarkSigner is one RSA-2048 PKCS #1 v1.5 SHA-256 signature with each backend:
//
//	go test ./internal/signer -run '^$' -bench Signer -benchtime 2000x
func BenchmarkSigner(b *testing.B) {
	k := key(b)
	d := sha256.Sum256([]byte("signed info"))
	backends := []signer.Backend{signer.Go()}
	if o, err := signer.OpenSSL(); err == nil {
		backends = append(backends, o)
	} else {
		b.Logf("OpenSSL: %v", err)
	}
	for _, be := range backends {
		b.Run(be.Name(), func(b *testing.B) {
			s := be.Signer(k)
			for b.Loop() {
				if _, err := s.Sign(nil, d[:], crypto.SHA256); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
