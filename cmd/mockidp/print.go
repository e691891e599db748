package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/internal/cli"
)

// printDirectory prints, per app, the values an admin copies into an SP (the portal's
// labels), then each tenant's users with their passwords.
func printDirectory(w io.Writer, s *idp.Server) {
	for _, v := range s.AdminValues() {
		fmt.Fprintf(w, "%s — %s in tenant %s\n", v.Name, v.Kind, v.Tenant)
		tw := cli.NewTable(w)
		for _, kv := range v.Values {
			fmt.Fprintf(tw, "  %s:\t%s\n", kv[0], kv[1])
		}
		_ = tw.Flush()
		fmt.Fprintln(w)
	}
	for _, t := range s.Config().Tenants {
		fmt.Fprintf(w, "Users of tenant %s (%s; %s)\n", t.DisplayName, t.ID, strings.Join(t.VerifiedDomains, ", "))
		if len(t.Users) == 0 {
			fmt.Fprintf(w, "  (none)\n\n")
			continue
		}
		tw := cli.NewTable(w)
		fmt.Fprintf(tw, "  UPN\tDisplay name\tPassword\tEnabled\tGroups\n")
		for _, u := range t.Users {
			enabled := "yes"
			if !u.Enabled() {
				enabled = "no"
			}
			groups := strings.Join(groupNames(t, u), ", ")
			if groups == "" {
				groups = "-"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", u.UserPrincipalName, u.DisplayName, u.Password, enabled, groups)
		}
		_ = tw.Flush()
		fmt.Fprintln(w)
	}
}

// groupNames are the display names of the groups u is a member of (memberOf may name a
// group by object ID or display name).
func groupNames(t *idp.Tenant, u *idp.User) []string {
	var out []string
	for _, m := range u.MemberOf {
		name := m
		for _, g := range t.Groups {
			if strings.EqualFold(m, g.ID) || strings.EqualFold(m, g.DisplayName) {
				name = g.DisplayName
				break
			}
		}
		out = append(out, name)
	}
	return out
}
