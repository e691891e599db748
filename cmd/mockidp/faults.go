package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/internal/cli"
)

// cmdFaults prints the fault catalog.
func cmdFaults(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("faults", "[--json] [--protocol SAML|OIDC] [PATTERN]", stderr)
	asJSON := fs.Bool("json", false, "print the catalog as JSON (every field, with references)")
	proto := fs.String("protocol", "", "only faults of this `protocol` (SAML or OIDC)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usagef("one PATTERN at most (e.g. 'saml.xsw.*'), got %q", strings.Join(fs.Args(), " "))
	}
	p := strings.ToUpper(*proto)
	if p != "" && p != string(idp.ProtocolSAML) && p != string(idp.ProtocolOIDC) {
		return usagef("--protocol %q: want SAML or OIDC", *proto)
	}
	pattern := "*"
	if fs.NArg() == 1 {
		pattern = fs.Arg(0)
	}
	var list []idp.Fault
	for _, f := range idp.MatchFaults(pattern) {
		if p == "" || string(f.Protocol) == p {
			list = append(list, f)
		}
	}
	if len(list) == 0 {
		return usagef("no fault matches %q (run mockidp faults for the catalog)", pattern)
	}
	if *asJSON {
		return cli.PrintJSON(stdout, list)
	}
	tw := cli.NewTable(stdout)
	fmt.Fprintln(tw, "ID\tPROTOCOL\tVERDICT\tDESCRIPTION")
	for _, f := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.ID, f.Protocol, verdictText(f.Expect), f.Description)
	}
	return tw.Flush()
}

// verdictText is the expectation as the catalog states it: "reject", "profile (warn)", ...
func verdictText(e idp.Expectation) string {
	v := string(e.Verdict)
	if e.Verdict == idp.VerdictProfile {
		v += " (" + string(e.Default) + ")"
	}
	if e.OrSignedIdentity {
		v += " or signed identity"
	}
	if e.OrOtherAccount {
		v += " or other account"
	}
	return v
}
