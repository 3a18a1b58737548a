package server

import (
	"context"
	"net/http"

	"github.com/applink/applink/oauth"
)

// Preflight checks a link without starting a handshake a person must
// finish (oauth.Consumer.Preflight), with the access token it keeps, if
// any. It is what POST /api/links/{name}/preflight does: a missing link is
// an error; Jira's failures are the result's problems, their hints in the
// web service's words.
func (s *Server) Preflight(ctx context.Context, name string) (*oauth.PreflightResult, error) {
	_, c, _, err := s.load(name, true, false)
	if err != nil {
		return nil, err
	}
	var tok *oauth.Token
	if t, err := s.store.Token(name); err == nil {
		ot := t.OAuth()
		tok = &ot
	}
	res := c.Preflight(ctx, tok)
	codes := make([]string, len(res.Problems))
	for i, p := range res.Problems {
		res.Problems[i] = asError(p)
		codes[i] = string(p.Code)
	}
	s.audit(ctx, "preflight", name).Bool("ok", res.OK).Strs("problems", codes).Msg("link checked")
	return res, nil
}

// apiPreflight is POST /api/links/{name}/preflight: 200 with the result,
// whether or not the link is ok.
func (s *Server) apiPreflight(w http.ResponseWriter, r *http.Request) {
	res, err := s.Preflight(r.Context(), r.PathValue("name"))
	s.answer(w, r, http.StatusOK, res, err)
}

// postPreflight is POST /links/{name}/preflight: the link page with the
// result under Check link.
func (s *Server) postPreflight(w http.ResponseWriter, r *http.Request) {
	res, err := s.Preflight(r.Context(), r.PathValue("name"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.showLink(w, r, http.StatusOK, linkPage{Preflight: res})
}
