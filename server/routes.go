package server

import "net/http"

// routes is every route of the app. Only POST, PATCH and DELETE change state;
// cross-origin protection (middleware.go) covers them all. requireToken
// guards the API, requireSession the admin pages; the approval page, the
// callback, /healthz and static assets are open.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	api, ui := s.requireToken, s.requireSession
	hf := func(f http.HandlerFunc) http.Handler { return f }

	// JSON API (Authorization: Bearer TOKEN).
	mux.Handle("POST /api/links", api(hf(s.apiCreateLink)))
	mux.Handle("GET /api/links", api(hf(s.apiListLinks)))
	mux.Handle("GET /api/links/{name}", api(hf(s.apiGetLink)))
	mux.Handle("PATCH /api/links/{name}", api(hf(s.apiEditLink)))
	mux.Handle("DELETE /api/links/{name}", api(hf(s.apiDeleteLink)))
	mux.Handle("POST /api/links/{name}/handshakes", api(hf(s.apiStartHandshake)))
	mux.Handle("GET /api/links/{name}/credentials", api(hf(s.apiCredentials)))
	mux.Handle("POST /api/links/{name}/preflight", api(hf(s.apiPreflight)))
	mux.Handle("POST /api/links/{name}/permissions", api(hf(s.apiPermissions)))
	mux.Handle("POST /api/links/{name}/health", api(hf(s.apiHealth)))
	mux.Handle("/api/", hf(s.apiNotFound))

	// Admin pages (session cookie).
	mux.Handle("GET /login", hf(s.pageLogin))
	mux.Handle("POST /login", hf(s.postLogin))
	mux.Handle("POST /logout", hf(s.postLogout))
	if s.oidc != nil {
		mux.Handle("POST /oidc/login", hf(s.postOIDCLogin))
		mux.Handle("GET "+oidcCallbackPath, hf(s.pageOIDCCallback))
	}
	mux.Handle("POST /logout/everywhere", ui(hf(s.postLogout)))
	mux.Handle("GET /{$}", ui(hf(s.pageDashboard)))
	mux.Handle("GET /links/new", ui(hf(s.pageNewLink)))
	mux.Handle("POST /links", ui(hf(s.postLink)))
	mux.Handle("GET /links/{name}", ui(hf(s.pageLink)))
	mux.Handle("POST /links/{name}/handshakes", ui(hf(s.postHandshake)))
	mux.Handle("POST /links/{name}/preflight", ui(hf(s.postPreflight)))
	mux.Handle("POST /links/{name}/credentials", ui(hf(s.postCredentials)))
	mux.Handle("GET /links/{name}/edit", ui(hf(s.pageEdit)))
	mux.Handle("POST /links/{name}/edit", ui(hf(s.postLink)))
	mux.Handle("POST /links/{name}/delete", ui(hf(s.postDelete)))
	mux.Handle("POST /links/{name}/permissions", ui(hf(s.postPermissions)))

	// Open to anyone: the approver's pages, health, assets.
	mux.Handle("GET /approve/{id}", hf(s.pageApprove))
	mux.Handle("GET "+CallbackPath, hf(s.pageCallback))
	mux.Handle("GET /healthz", hf(s.healthz))
	if s.metrics.handler != nil {
		mux.Handle("GET /metrics", s.metrics)
	}
	mux.Handle("GET /static/", staticHandler())
	mux.Handle("/", hf(s.pageNotFound))
	return mux
}
