package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/applink/applink/fault"
)

// Paths of Jira's create metadata: the old form, one call for a project's
// issue types and their create-screen fields (Jira Server/Data Center
// before 9.0, and Cloud), and the per-project form (Jira 8.4 and later,
// the only one from 9.0; Cloud too).
const (
	CreateMetaPath        = "/rest/api/2/issue/createmeta"
	CreateMetaProjectPath = "/rest/api/2/issue/createmeta/" // + {project}/issuetypes[/{id}]
)

// maxMetaPages bounds the pages read of one paged createmeta answer.
const maxMetaPages = 50

// ReporterOffScreen returns the names of project's issue types whose
// create screen lacks the Reporter field, as cl's account sees them (Jira
// lists Reporter only to an account with Modify Reporter). It asks the old
// createmeta first and, when Jira answers 404 (Jira 9 removed it), the
// per-project form. When Jira offers neither, or lists no issue type the
// account may create, it returns none: nothing to check.
func ReporterOffScreen(ctx context.Context, cl Caller, project string) ([]string, error) {
	off, err := reporterOffOld(ctx, cl, project)
	if !fault.Is(err, CodeNotFound) {
		return off, err
	}
	off, err = reporterOffPerProject(ctx, cl, project)
	if fault.Is(err, CodeNotFound) {
		return nil, nil
	}
	return off, err
}

// badMeta is the failure of a createmeta answer that does not parse.
func badMeta(cl Caller, err error) error {
	return &Error{Code: CodeBadResponse, Step: "createmeta", URL: cl.BaseURL() + CreateMetaPath,
		Message: "Jira's answer to createmeta is not the create metadata", Hint: "check that the Jira URL is Jira's base URL", Err: err}
}

// reporterOffOld reads the old createmeta.
func reporterOffOld(ctx context.Context, cl Caller, project string) ([]string, error) {
	body, err := cl.Get(ctx, CreateMetaPath+"?projectKeys="+url.QueryEscape(project)+"&expand=projects.issuetypes.fields", "createmeta")
	if err != nil {
		return nil, err
	}
	var meta struct {
		Projects []struct {
			Key        string `json:"key"`
			IssueTypes []struct {
				Name   string                     `json:"name"`
				Fields map[string]json.RawMessage `json:"fields"`
			} `json:"issuetypes"`
		} `json:"projects"`
	}
	if err := json.Unmarshal(body, &meta); err != nil {
		return nil, badMeta(cl, err)
	}
	var off []string
	for _, p := range meta.Projects {
		if p.Key != project {
			continue
		}
		for _, it := range p.IssueTypes {
			if _, ok := it.Fields["reporter"]; !ok {
				off = append(off, it.Name)
			}
		}
	}
	return off, nil
}

// metaItem is an issue type or a field of the per-project createmeta.
type metaItem struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	FieldID string `json:"fieldId"`
}

// metaPages reads every page of a per-project createmeta list: Data
// Center names it "values", Cloud "issueTypes" or "fields".
func metaPages(ctx context.Context, cl Caller, path string) ([]metaItem, error) {
	var all []metaItem
	for range maxMetaPages {
		body, err := cl.Get(ctx, fmt.Sprintf("%s?startAt=%d", path, len(all)), "createmeta")
		if err != nil {
			return nil, err
		}
		var page struct {
			Values     []metaItem `json:"values"`
			IssueTypes []metaItem `json:"issueTypes"`
			Fields     []metaItem `json:"fields"`
			Total      int        `json:"total"`
			IsLast     *bool      `json:"isLast"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, badMeta(cl, err)
		}
		items := append(append(page.Values, page.IssueTypes...), page.Fields...)
		all = append(all, items...)
		if len(items) == 0 || (page.IsLast != nil && *page.IsLast) || (page.IsLast == nil && len(all) >= page.Total) {
			break
		}
	}
	return all, nil
}

// reporterOffPerProject reads the per-project createmeta.
func reporterOffPerProject(ctx context.Context, cl Caller, project string) ([]string, error) {
	base := CreateMetaProjectPath + url.PathEscape(project) + "/issuetypes"
	types, err := metaPages(ctx, cl, base)
	if err != nil {
		return nil, err
	}
	var off []string
	for _, it := range types {
		fields, err := metaPages(ctx, cl, base+"/"+url.PathEscape(it.ID))
		if err != nil {
			return nil, err
		}
		onScreen := false
		for _, f := range fields {
			onScreen = onScreen || f.FieldID == "reporter" || (f.FieldID == "" && f.ID == "reporter")
		}
		if !onScreen {
			off = append(off, it.Name)
		}
	}
	return off, nil
}
