package provision

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/ssoharness/ssoharness/idp"
)

// Service is Entra's provisioning service for the enterprise apps of one mock server: it
// runs their jobs (Cycle, TestConnection) and keeps, per app, what it has provisioned (the
// SCIM id and last values of each user and group: Entra's escrow) and the provisioning log.
// It is safe for concurrent use; the cycles of one app run one at a time.
type Service struct {
	server *idp.Server
	// HTTP sends the SCIM requests; nil means a client with a 30 s timeout.
	HTTP *http.Client
	// Rand is the random source of Test Connection's GUIDs; nil means crypto/rand.
	Rand io.Reader

	mu   sync.Mutex
	jobs map[string]*job
}

// job is one app's provisioning job: its escrow and log.
type job struct {
	mu     sync.Mutex
	cycles int
	users  map[string]*escrowUser  // by directory object ID
	groups map[string]*escrowGroup // by directory object ID
	// skipped is why each user not provisioned was last skipped: a skip is logged once,
	// not every cycle (an incremental cycle only reports what changed).
	skipped map[string]string
	log     []LogEntry
}

type escrowUser struct {
	scimID string
	values Values
	// unmanaged: disabled for leaving the scope. Entra no longer manages such a user: its
	// later deletion from the directory sends nothing ("How provisioning works", Known
	// limitations).
	unmanaged bool
}

type escrowGroup struct {
	scimID      string
	displayName string
	members     map[string]string // object ID -> SCIM id
}

// LogEntry is one entry of the provisioning log, as the portal's Provisioning logs show it:
// the object, the action, its status, the error code and reason, and the SCIM exchanges
// (the "Steps") that carried it out.
type LogEntry struct {
	Cycle int       `json:"cycle"`
	Time  time.Time `json:"activityDateTime"`
	// Action is Create, Update, Disable, Delete or Other (a match without changes, a skip, a
	// failed lookup).
	Action     string `json:"provisioningAction"`
	ObjectType string `json:"objectType"` // User or Group
	SourceID   string `json:"sourceId"`
	SourceName string `json:"sourceDisplayName"`
	TargetID   string `json:"targetId,omitempty"`
	// Status is Success, Failure or Skipped.
	Status    string     `json:"status"`
	ErrorCode string     `json:"errorCode,omitempty"`
	Reason    string     `json:"statusReason,omitempty"`
	Steps     []Exchange `json:"steps,omitempty"`
}

// The LogEntry.Action and LogEntry.Status values.
const (
	ActionCreate  = "Create"
	ActionUpdate  = "Update"
	ActionDisable = "Disable"
	ActionDelete  = "Delete"
	ActionOther   = "Other"
	StatusSuccess = "Success"
	StatusFailure = "Failure"
	StatusSkipped = "Skipped"
)

// New returns the provisioning service of s.
func New(s *idp.Server) *Service { return &Service{server: s, jobs: map[string]*job{}} }

// Attach returns the provisioning service of s and makes it the one the control API's
// POST /_mockidp/provisioning/{appId}/cycle runs.
func Attach(s *idp.Server) *Service {
	svc := New(s)
	s.SetProvisioningRunner(svc)
	return svc
}

func (svc *Service) job(appID string) *job {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	j := svc.jobs[appID]
	if j == nil {
		j = &job{users: map[string]*escrowUser{}, groups: map[string]*escrowGroup{}, skipped: map[string]string{}}
		svc.jobs[appID] = j
	}
	return j
}

// Log returns the app's provisioning log, every cycle, oldest first.
func (svc *Service) Log(app string) []LogEntry {
	v, err := svc.server.ProvisioningView(app)
	if err != nil {
		return nil
	}
	j := svc.job(v.AppID)
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]LogEntry(nil), j.log...)
}

// Client returns the SCIM client and dialect of the app's settings: what checks use to send
// Entra's requests to the same endpoint.
func (svc *Service) Client(app string) (*Client, Dialect, error) {
	v, err := svc.server.ProvisioningView(app)
	if err != nil {
		return nil, Dialect{}, err
	}
	return &Client{BaseURL: v.Settings.BaseURL(), Token: v.Settings.SecretToken, HTTP: svc.HTTP},
		Dialect{Compliant: v.Settings.AADOptSCIM062020}, nil
}

// TestResult is the outcome of Test Connection.
type TestResult struct {
	Success   bool     `json:"success"`
	ErrorCode string   `json:"errorCode,omitempty"`
	Message   string   `json:"message"`
	Step      Exchange `json:"step"`
}

// TestConnection is the portal's "Test Connection": GET /Users?filter=userName eq
// "<random GUID>" with the secret token; it succeeds on 200 with an empty ListResponse.
func (svc *Service) TestConnection(ctx context.Context, app string) (TestResult, error) {
	c, d, err := svc.Client(app)
	if err != nil {
		return TestResult{}, err
	}
	guid, err := svc.guid()
	if err != nil {
		return TestResult{}, err
	}
	ex, body := c.Do(ctx, d.TestConnection(guid))
	res := TestResult{Step: ex}
	if code, reason := Classify(ex, false); code != "" {
		res.ErrorCode, res.Message = ErrCredentialValidation, "Error code: "+ErrCredentialValidation+". "+reason
		if ex.Status == http.StatusUnauthorized || ex.Status == http.StatusForbidden {
			res.Message = "You appear to have entered invalid credentials. Please confirm you are using the correct information for an administrative account. " + reason
		}
		return res, nil
	}
	if n, ok := listLen(body); !ok || n != 0 {
		res.ErrorCode = ErrServiceIncompatible
		res.Message = fmt.Sprintf("The query for a user with a random userName must answer an empty ListResponse (totalResults 0); the response was not one (%d resources).", n)
		return res, nil
	}
	res.Success, res.Message = true, "The supplied credentials are authorized to enable provisioning"
	return res, nil
}

func (svc *Service) guid() (string, error) {
	r := svc.Rand
	if r == nil {
		r = rand.Reader
	}
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// listLen is the number of Resources of a ListResponse; ok is false for another body.
func listLen(body map[string]any) (int, bool) {
	if body == nil {
		return 0, false
	}
	res, ok := body["Resources"].([]any)
	if !ok {
		if t, isNum := body["totalResults"].(float64); isNum && t == 0 {
			return 0, true // Resources may be omitted when empty (RFC 7644 3.4.2)
		}
		return 0, false
	}
	return len(res), true
}

// RunCycle runs Cycle for the control API (idp.ProvisioningRunner).
func (svc *Service) RunCycle(ctx context.Context, app string) (any, error) {
	return svc.Cycle(ctx, app)
}

// Cycle runs one provisioning cycle of the app and returns its log entries. The first is
// the initial cycle (every user and group in scope is matched by query, then created or
// updated); later ones are incremental (only what changed since: PATCH, disable, DELETE).
func (svc *Service) Cycle(ctx context.Context, app string) ([]LogEntry, error) {
	v, err := svc.server.ProvisioningView(app)
	if err != nil {
		return nil, err
	}
	j := svc.job(v.AppID)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.cycles++
	r := &run{
		job: j, view: v, cycle: j.cycles, now: svc.server.Clock().Now,
		client:  &Client{BaseURL: v.Settings.BaseURL(), Token: v.Settings.SecretToken, HTTP: svc.HTTP},
		dialect: Dialect{Compliant: v.Settings.AADOptSCIM062020},
		maps:    mappings(v.Settings.Mappings),
	}
	r.users(ctx)
	r.deletedUsers(ctx)
	r.groups(ctx)
	j.log = append(j.log, r.entries...)
	return r.entries, nil
}

// WriteLog prints log entries one a line, as the portal's Provisioning logs list shows them:
// time, action, object, status, error code and reason.
func WriteLog(w io.Writer, log []LogEntry) {
	for _, e := range log {
		fmt.Fprintf(w, "%s  cycle %d  %-7s %-5s %-30s %s", e.Time.UTC().Format(time.RFC3339), e.Cycle, e.Action, e.ObjectType, e.SourceName, e.Status)
		if e.ErrorCode != "" {
			fmt.Fprintf(w, "  %s: %s", e.ErrorCode, e.Reason)
		}
		fmt.Fprintln(w)
		for _, st := range e.Steps {
			fmt.Fprintf(w, "    %s %s -> %d%s\n", st.Method, st.Path, st.Status, st.Error)
		}
	}
}
