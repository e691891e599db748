package idp

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// The control API lets a harness in another process arm faults. It is off unless
// Config.ControlAPI is set, and every call needs the configured bearer token. Its routes are
// in routeTable (routes.go) and listed in the package manual (doc.go).

// handleFaultCatalog is GET /_mockidp/faults.
func (s *Server) handleFaultCatalog(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"value": Faults()}, true)
}

// handleArmedFaults is GET /_mockidp/faults/armed.
func (s *Server) handleArmedFaults(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"value": s.ArmedFaults()}, true)
}

// handleDisarm is DELETE /_mockidp/faults/armed/{token}.
func (s *Server) handleDisarm(w http.ResponseWriter, r *http.Request) {
	if !s.Disarm(r.PathValue("token")) {
		controlError(w, http.StatusNotFound, "not_found", "no armed fault has this token")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleDisarmAll is DELETE /_mockidp/faults/armed.
func (s *Server) handleDisarmAll(w http.ResponseWriter, r *http.Request) {
	s.DisarmAll()
	w.WriteHeader(http.StatusNoContent)
}

// handlePrepareFaults is POST /_mockidp/faults/prepare.
func (s *Server) handlePrepareFaults(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Faults []FaultID `json:"faults"`
	}
	if err := decodeControl(r, &body); err != nil {
		controlError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if err := s.PrepareFaults(body.Faults...); err != nil {
		controlError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// armRequest is the body of POST /_mockidp/faults/armed.
type armRequest struct {
	Arming
	// Context binds the fault to the browser context that will carry the returned cookie.
	Context bool `json:"context,omitempty"`
}

// armResponse is the answer: the arming and, for a context-bound fault, the cookie to set on
// the IdP's origin.
type armResponse struct {
	ArmedFault
	Cookie *cookieJSON `json:"cookie,omitempty"`
}

type cookieJSON struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Path     string `json:"path"`
	Secure   bool   `json:"secure"`
	HTTPOnly bool   `json:"httpOnly"`
	SameSite string `json:"sameSite"`
}

func (s *Server) handleArm(w http.ResponseWriter, r *http.Request) {
	var req armRequest
	if err := decodeControl(r, &req); err != nil {
		controlError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if req.Fault == "" {
		controlError(w, http.StatusBadRequest, "invalid_request", `"fault" is required (a catalog ID, e.g. saml.audience.wrong)`)
		return
	}
	var af *ArmedFault
	var err error
	if req.Context {
		if req.User != "" || req.App != "" {
			controlError(w, http.StatusBadRequest, "invalid_request", `a context-bound fault ("context": true) takes no "user" or "app"`)
			return
		}
		af, err = s.arm(Arming{Fault: req.Fault, Count: req.Count}, true)
	} else {
		af, err = s.Arm(req.Arming)
	}
	if err != nil {
		controlError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	out := armResponse{ArmedFault: *af}
	if af.Context {
		c := af.Cookie()
		ss := "Lax"
		if c.SameSite == http.SameSiteNoneMode {
			ss = "None"
		}
		out.Cookie = &cookieJSON{Name: c.Name, Value: c.Value, Path: c.Path, Secure: c.Secure, HTTPOnly: c.HttpOnly, SameSite: ss}
	}
	writeJSON(w, http.StatusCreated, out, true)
}

// control wraps a control handler: 421 for a foreign Host (signins.go), 404 when the API is
// off, 401 without the token.
func (s *Server) control(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.ownerHost(r.Host) {
			s.foreignHost(w, r) // signins.go: against DNS rebinding
			return
		}
		api := s.cfg.ControlAPI
		if api == nil || api.Token == "" {
			controlError(w, http.StatusNotFound, "not_found", "the control API is off (set controlApi.token in the config, or --control-token)")
			return
		}
		if !bearerIs(r, api.Token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mockidp control API"`)
			controlError(w, http.StatusUnauthorized, "invalid_token", "the control API needs Authorization: Bearer <controlApi.token>")
			return
		}
		h(w, r)
	}
}

func decodeControl(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("the request body is empty; send JSON")
		}
		return errors.New("the request body is not valid JSON for this call: " + err.Error())
	}
	return nil
}

func controlError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": msg}, true)
}
