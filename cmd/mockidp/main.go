// Command mockidp runs the ssoharness mock Microsoft Entra ID on a loopback port, or prints the
// federation metadata of one of its SAML apps without serving.
//
// Usage:
//
//	mockidp serve    [--config FILE] [--addr 127.0.0.1:7443] [--public-url URL] [--tls] [--ca-out FILE] [--key-dir DIR]
//	                 [--store URL [--store-token TOKEN]] [--state-key-file FILE]
//	mockidp store    [--addr 127.0.0.1:7070] [--token TOKEN]
//	mockidp metadata [--config FILE] --app NAME [--tenant TENANT] [--addr ADDR] [--public-url URL] [--tls] [--key-dir DIR]
//	mockidp values   [--config FILE] [--addr ADDR] [--public-url URL] [--tls] [--key-dir DIR]
//	mockidp provision --app NAME|APPID [--config FILE] [--cycles 1] [--json]
//	mockidp bench    [--protocol saml|oidc|both] [--concurrency 8] [--duration 10s] [--json] [--url URL --pid PID | --server-cmd CMD] [--flavor NAME]
//	mockidp version
//
// With no --config the embedded default directory (tenant "contoso", B.Simon and a few other
// users, one SAML app) is served. The server binds 127.0.0.1:7443 unless --addr says otherwise.
// Generated SAML signing certificates are kept in --key-dir (default
// $XDG_CACHE_HOME/ssoharness/keys, else ~/.cache/ssoharness/keys) so that `mockidp metadata`
// and a later `mockidp serve` publish the same certificate. Replicas behind a load balancer
// share one `mockidp store` (--store) and one --key-dir (see docs/scale.md).
//
// Exit status: 0 on success (serve: after SIGINT/SIGTERM), 1 on a runtime failure (such as a
// port already in use), 2 on a usage error (bad flag, bad config file, unknown app).
package main

func main() { program.Main() }
