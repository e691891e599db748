// Package graphsdk holds the Microsoft Graph oracle of the mock's Graph (issue 16): Microsoft's
// own Graph SDK for Go (github.com/microsoftgraph/msgraph-sdk-go) with azidentity's client
// secret credential, unmodified, against a mock started by idptest.StartTLS. It is a package
// of its own so that the SDK's large generated code is compiled and linked only for this
// test, not into every test binary of package idp.
package graphsdk
