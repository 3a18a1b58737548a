package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/applink/applink/oauth"
	"github.com/applink/applink/server/store"
)

// PermissionsInput is the body of POST /api/links/{name}/permissions:
// the projects to audit (kept as the link's projects; the kept ones when
// null), a preset ("jira-align", the default with no permissions) and
// permission keys.
type PermissionsInput struct {
	Projects    []string `json:"projects"`
	Preset      string   `json:"preset"`
	Permissions []string `json:"permissions"`
}

// PermissionsView is the latest permission audit of a link: oauth's
// {"projects", "global"}, when it ran, whether nothing is missing, and
// whether it was run with another token than the one kept now (stale).
type PermissionsView struct {
	*oauth.PermissionAudit
	CheckedAt time.Time `json:"checked_at"`
	OK        bool      `json:"ok"`
	Stale     bool      `json:"stale"`
}

// permissionsView is the view of a link's kept audit, or nil, against the
// token kept now (tok, nil for none).
func permissionsView(l *store.Link, tok *store.Token) *PermissionsView {
	if l.Audit == nil {
		return nil
	}
	return &PermissionsView{PermissionAudit: l.Audit, CheckedAt: l.AuditedAt.UTC(), OK: l.Audit.OK(),
		Stale: tok == nil || !tok.ApprovedAt.Equal(l.AuditToken)}
}

// AuditPermissions runs the permission audit (oauth.RunAudit) with the
// link's token, keeps the projects and the result in the link's record and
// returns it. It is what POST /api/links/{name}/permissions does: 409
// not_approved without a token, 400 for bad projects or permission keys,
// Jira's failure (502, 504) with its diagnosis.
func (s *Server) AuditPermissions(ctx context.Context, name string, in PermissionsInput) (*PermissionsView, error) {
	l, c, tok, err := s.load(name, true, true)
	if err != nil {
		return nil, err
	}
	projects := l.Projects
	if in.Projects != nil {
		if projects, err = oauth.ParseProjectKeys(in.Projects); err != nil {
			return nil, err
		}
	}
	if len(projects) == 0 {
		return nil, &Error{Code: CodeInvalidInput, Message: "There are no projects to check.",
			Hint: "Give the keys of the Jira projects the integration works in, such as ABC for ABC-123."}
	}
	req := oauth.AuditRequest{Projects: projects, Permissions: in.Permissions, Preset: in.Preset}
	a, err := oauth.RunAudit(ctx, c.As(tok.OAuth()), req)
	if err != nil {
		logOAuthError(s.audit(ctx, "permissions_failed", name), err).Msg("the permission audit did not complete")
		return nil, err
	}
	l, err = s.updateLink(name, func(l *store.Link) error {
		l.Projects, l.Audit, l.AuditedAt, l.AuditToken = projects, a, s.now().UTC(), tok.ApprovedAt
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.audit(ctx, "permissions_checked", name).Strs("projects", projects).Bool("ok", a.OK()).Msg("permissions checked")
	return permissionsView(l, tok), nil
}

// apiPermissions is POST /api/links/{name}/permissions.
func (s *Server) apiPermissions(w http.ResponseWriter, r *http.Request) {
	var in PermissionsInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.AuditPermissions(r.Context(), r.PathValue("name"), in)
	s.answer(w, r, http.StatusOK, v, err)
}

// postPermissions is POST /links/{name}/permissions: the link page's
// audit form (projects separated by commas or spaces, preset jira-align).
// A failure shows on the link page, next to the form.
func (s *Server) postPermissions(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	name := r.PathValue("name")
	projects := strings.FieldsFunc(r.PostForm.Get("projects"), func(c rune) bool { return c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t' })
	if projects == nil {
		projects = []string{}
	}
	_, err := s.AuditPermissions(r.Context(), name, PermissionsInput{Projects: projects})
	if e := asError(err); err != nil {
		if e.Code == CodeLinkNotFound || Status(e.Code) == http.StatusInternalServerError {
			s.renderError(w, r, e)
			return
		}
		s.showLink(w, r, Status(e.Code), linkPage{PermissionsError: e})
		return
	}
	http.Redirect(w, r, "/links/"+url.PathEscape(name)+"#permissions", http.StatusSeeOther)
}

// isHealth reports whether a link's last error (nil for none) comes from a
// token health check.
func isHealth(e *Error) bool {
	return e != nil && (e.Code == CodeTokenNotWorking || e.Code == CodeTokenAccountChanged)
}
