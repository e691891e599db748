package refgraph

import "golang.org/x/oauth2"

// oauth2HTTPClient is the context key golang.org/x/oauth2 takes its HTTP client from.
var oauth2HTTPClient = oauth2.HTTPClient
