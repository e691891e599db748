// Package load measures what one complete sign-in costs an identity provider: it runs whole
// SAML or OIDC sign-ins over plain HTTP on loopback, without a browser, at a given
// concurrency for a given time, and reports throughput, latency, errors, the server's CPU
// time per sign-in and the number of signatures each sign-in produced.
//
// It also measures, in the same run, the CPU cost of one RSA-2048 signature (PKCS#1 v1.5,
// SHA-256) on the machine, and reports the overhead ratio
//
//	overhead = server CPU per sign-in ÷ (signatures per sign-in × cost of one signature)
//
// A ratio of 1 would mean the server does nothing but sign; the rest is parsing, templating,
// HTTP and bookkeeping.
//
// A sign-in is what a fresh browser does (its own cookie jar): for SAML, an SP-initiated
// AuthnRequest by the HTTP-Redirect binding, the IdP's sign-in form(s), and the auto-posting
// page that carries the SAMLResponse to the SP's Assertion Consumer Service (the Response is
// decoded and checked; nothing is posted to an SP); for OIDC, the authorization code flow
// with PKCE up to the token endpoint's JSON. Forms are handled generically (follow
// redirects, fill the user and password fields, submit auto-posting forms as they are), and
// what differs between servers is a [Flavor]: the mock Entra ID of this module
// ([Entra]), and two npm packages used as a comparison, oauth2-mock-server
// ([OAuth2MockServer]) and saml-idp ([SAMLIdP]).
//
// The server under test is either started by [Run] as a child process ([Server].Command;
// `mockidp bench` starts `mockidp serve` this way) or already running ([Server].URL and
// [Server].PID). Its CPU time is read from /proc (Linux), the process and its descendants,
// across exactly the measured window.
//
//	res, err := load.Run(ctx, load.Options{
//		Protocols:   []load.Protocol{load.ProtocolSAML},
//		Concurrency: 8,
//		Duration:    5 * time.Second,
//		Server:      load.Server{URL: "http://127.0.0.1:7443", PID: pid},
//	})
//	fmt.Print(res) // one aligned block per protocol
//
// Speed is reported, never asserted: a failed sign-in is an error (counted, with its
// message), and a run with any error makes Run return an error alongside the Result.
package load
