package refsaml

// LegacyRoundTrip exposes ReadAfterRoundTrip's emulation of Go ≤ 1.15's directive round
// trip to the tests.
var LegacyRoundTrip = legacyRoundTrip
