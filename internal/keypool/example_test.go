package keypool_test

import (
	"fmt"

	"github.com/ssoharness/ssoharness/internal/keypool"
)

// Two generators (two servers) get the same keys in the same order; one generator's keys
// are distinct from each other.
func Example() {
	a, b := keypool.Generator(), keypool.Generator()
	a1, _ := a()
	a2, _ := a()
	b1, _ := b()
	fmt.Println(a1.Equal(b1), a1.Equal(a2), a1.N.BitLen())
	// Output: true false 2048
}
