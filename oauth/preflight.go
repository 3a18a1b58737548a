package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/applink/applink/keys"
)

// maxClockSkew is how far Jira's clock may be from this machine's before
// the preflight names CodeClockSkew: well inside Jira's window of about 5
// minutes, but a sign that the clocks are not kept in sync.
const maxClockSkew = 60 * time.Second

// JiraFacts is what the preflight learned of Jira from serverInfo.
type JiraFacts struct {
	Version        string `json:"version"`
	DeploymentType string `json:"deployment_type"` // "Server", "DataCenter" or "Cloud"
	BaseURL        string `json:"base_url"`        // Jira's own base URL
	// ClockSkewSeconds is how many seconds Jira's clock is ahead of this
	// machine's (negative: behind); null when Jira did not tell its time.
	ClockSkewSeconds *int64 `json:"clock_skew_seconds"`
}

// PreflightResult is the answer of a preflight: OK when there is no
// problem. Each problem is an *Error with the code of the table of
// failures (Explain says what to do, per surface).
type PreflightResult struct {
	OK       bool      `json:"ok"`
	Jira     JiraFacts `json:"jira"`
	Problems []*Error  `json:"problems"`
}

// ServerInfo is the part of /rest/api/2/serverInfo applink uses.
type ServerInfo struct {
	BaseURL        string `json:"baseUrl"`
	Version        string `json:"version"`
	DeploymentType string `json:"deploymentType"` // "Server", "DataCenter" or "Cloud"
	ServerTime     string `json:"serverTime"`
}

// serverInfo asks Jira what it is, without signing (it is anonymous on
// Server/DC), and returns Jira's answer too, whose Date header tells Jira's clock.
func (c *Consumer) serverInfo(ctx context.Context) (*ServerInfo, *http.Response, error) {
	const step = "serverinfo"
	u := c.Endpoints.Base + serverInfoPath
	body, resp, err := c.call(ctx, callSpec{step: step, method: "GET", url: u, limit: maxRESTBody})
	if err != nil {
		return nil, resp, err
	}
	var si ServerInfo
	if err := json.Unmarshal(body, &si); err != nil {
		return nil, resp, &Error{Code: CodeBadResponse, Step: step, URL: u,
			Message: fmt.Sprintf("Jira's answer at %s is not JSON", stepLabel(step)),
			Hint:    fix(CodeBadResponse), Err: err}
	}
	return &si, resp, nil
}

// serverTimeLayout is serverInfo's serverTime.
const serverTimeLayout = "2006-01-02T15:04:05.000-0700"

// Preflight checks the link without starting a handshake a person must
// finish, in this order:
//
//  1. serverInfo, unsigned: is the URL reachable over TLS that verifies
//     (transport codes), is it Jira (jira_not_found, html_page,
//     bad_response...), what version and deployment, does Jira's own
//     baseUrl differ from the URL called (base_url_mismatch), and how far
//     its clock is from ours (clock_skew beyond a minute). A failure
//     here ends the preflight, except a 401 or 403 (Jira keeps serverInfo
//     from anonymous callers), which is not a problem of the link.
//  2. a request token (callback oob), signed: is the consumer key known,
//     does Jira's public key match ours, is RSA-SHA1 accepted. The token
//     is never shown to anyone and dies unused after 10 minutes. A
//     timestamp_refused replaces clock_skew: it is the same clock.
//  3. when token is not nil, a signed myself with it: does Jira still
//     accept the access token (token_rejected, token_expired).
//
// It never returns an error: every failure is a problem of the result.
func (c *Consumer) Preflight(ctx context.Context, token *Token) *PreflightResult {
	res := &PreflightResult{Problems: []*Error{}}
	if !c.preflightServerInfo(ctx, res) {
		return res.done()
	}
	if _, err := c.RequestToken(ctx, "oob"); err != nil {
		e := diagnoseTransport("request", "", err)
		switch e.Code {
		case CodeTimestampRefused:
			res.Problems = slices.DeleteFunc(res.Problems, func(p *Error) bool { return p.Code == CodeClockSkew })
		case CodeSignatureInvalid:
			e.Message += fmt.Sprintf("; applink's public key has fingerprint %s: compare it with the key in Jira's incoming authentication",
				keys.Fingerprint(&c.PrivateKey.PublicKey))
		}
		res.Problems = append(res.Problems, e)
		return res.done()
	}
	if token != nil {
		if _, err := c.As(*token).Get(ctx, MyselfPath, "myself"); err != nil {
			res.Problems = append(res.Problems, diagnoseTransport("request", "", err))
		}
	}
	return res.done()
}

// preflightServerInfo is step 1 of Preflight; it reports whether the
// preflight goes on.
func (c *Consumer) preflightServerInfo(ctx context.Context, res *PreflightResult) bool {
	before := c.now()
	si, resp, err := c.serverInfo(ctx)
	after := c.now()
	if err != nil {
		e := diagnoseTransport("request", "", err)
		if e.Code == CodeUnauthorized {
			return true
		}
		res.Problems = append(res.Problems, e)
		return false
	}
	problem := func(code Code, skew int64, msg string) {
		res.Problems = append(res.Problems, &Error{Code: code, Step: "serverinfo", URL: c.Endpoints.Base + serverInfoPath,
			ClockSkew: skew, Message: msg, Hint: fix(code)})
	}
	if si.Version == "" && si.BaseURL == "" && si.DeploymentType == "" {
		problem(CodeBadResponse, 0, "the answer at serverInfo is JSON but not Jira's (no version, deploymentType or baseUrl)")
		return false
	}
	res.Jira = JiraFacts{Version: si.Version, DeploymentType: si.DeploymentType, BaseURL: si.BaseURL}
	if theirs, err := ParseBaseURL(si.BaseURL); err == nil && EndpointsFor(theirs).Base != c.Endpoints.Base {
		problem(CodeBaseURLMismatch, 0, fmt.Sprintf("Jira says its base URL is %s, but applink calls it at %s",
			short(si.BaseURL, 200), short(c.Endpoints.Base, 200)))
	}
	mid := before.Add(after.Sub(before) / 2)
	if skew, ok := jiraClockSkew(si.ServerTime, resp, mid); ok {
		res.Jira.ClockSkewSeconds = &skew
		if max(skew, -skew) > int64(maxClockSkew/time.Second) {
			problem(CodeClockSkew, skew, describeSkew(skew)+fmt.Sprintf(", more than the %d s applink allows", int64(maxClockSkew/time.Second)))
		}
	}
	return true
}

// jiraClockSkew returns the seconds Jira's clock is ahead of now, from
// serverTime (milliseconds) or else the Date header (seconds).
func jiraClockSkew(serverTime string, resp *http.Response, now time.Time) (int64, bool) {
	if t, err := time.Parse(serverTimeLayout, serverTime); err == nil {
		return t.Sub(now).Round(time.Second).Milliseconds() / 1000, true
	}
	if resp != nil {
		return clockSkew("", resp.Header.Get("Date"), now)
	}
	return 0, false
}

// done sets OK and returns r.
func (r *PreflightResult) done() *PreflightResult {
	r.OK = len(r.Problems) == 0
	return r
}
