package idp

import _ "embed"

//go:embed default.yaml
var defaultYAML []byte
