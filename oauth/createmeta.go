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
	createMetaPath        = "/rest/api/2/issue/createmeta"
	createMetaProjectPath = "/rest/api/2/issue/createmeta/" // + {project}/issuetypes[/{id}]
)

// Caps of one audit's createmeta reading, against a Jira that answers
// without end: pages per project, bytes per audit (of every call), issue
// types per project.
const (
	maxMetaPages  = 500
	maxAuditBytes = 128 << 20
	maxIssueTypes = 200
)

// cappedCaller refuses a createmeta call (errTruncated) once the audit has
// read maxAuditBytes or the project maxMetaPages pages.
type cappedCaller struct {
	Caller
	bytes int64 // left for the audit
	pages int   // left for the project
	noOld bool  // the old createmeta answered 404: it is gone from this Jira
}

func (c *cappedCaller) Get(ctx context.Context, path, step string) ([]byte, error) {
	if step == "createmeta" {
		if c.bytes <= 0 || c.pages <= 0 {
			return nil, errTruncated
		}
		c.pages--
	}
	body, err := c.Caller.Get(ctx, path, step)
	c.bytes -= int64(len(body))
	return body, err
}

// errTruncated is the failure of a createmeta reading cut short by a cap.
var errTruncated = fault.New(CodeAuditTruncated, "applink stopped reading createmeta at its limits", "check the remaining create screens in Jira")

// reporterOffScreen returns the names of project's issue types whose
// create screen lacks the Reporter field, as cl's account sees them (Jira
// lists Reporter only to an account with Modify Reporter), from the old
// createmeta or, once that answers 404 (Jira 9 removed it), the per-project
// form. Neither form, or no issue type the account may create, is none:
// nothing to check. A cap cutting it short returns what it found and
// errTruncated.
func reporterOffScreen(ctx context.Context, cl *cappedCaller, project string) ([]string, error) {
	cl.pages = maxMetaPages
	if !cl.noOld {
		off, err := reporterOffOld(ctx, cl, project)
		if cl.noOld = fault.Is(err, CodeNotFound); !cl.noOld {
			return off, err
		}
	}
	off, err := reporterOffPerProject(ctx, cl, project)
	if fault.Is(err, CodeNotFound) {
		return nil, nil
	}
	return off, err
}

// badMeta is the failure of a createmeta answer that does not parse.
func badMeta(cl Caller, err error) error {
	return &Error{Code: CodeBadResponse, Step: "createmeta", URL: cl.BaseURL() + createMetaPath,
		Message: "Jira's answer to createmeta is not the create metadata", Hint: fix(CodeBadResponse), Err: err}
}

// reporterOffOld reads the old createmeta.
func reporterOffOld(ctx context.Context, cl Caller, project string) ([]string, error) {
	body, err := cl.Get(ctx, createMetaPath+"?projectKeys="+url.QueryEscape(project)+"&expand=projects.issuetypes.fields", "createmeta")
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

// metaPages hands each item of a per-project createmeta list (Data Center
// names it "values", Cloud "issueTypes" or "fields") to each, page by
// page, until the last or until each returns false.
func metaPages(ctx context.Context, cl Caller, path string, each func(metaItem) bool) error {
	for n := 0; ; {
		body, err := cl.Get(ctx, fmt.Sprintf("%s?startAt=%d", path, n), "createmeta")
		if err != nil {
			return err
		}
		var page struct {
			Values     []metaItem `json:"values"`
			IssueTypes []metaItem `json:"issueTypes"`
			Fields     []metaItem `json:"fields"`
			Total      int        `json:"total"`
			IsLast     *bool      `json:"isLast"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return badMeta(cl, err)
		}
		items := append(append(page.Values, page.IssueTypes...), page.Fields...)
		for _, it := range items {
			if !each(it) {
				return nil
			}
		}
		n += len(items)
		if len(items) == 0 || (page.IsLast != nil && *page.IsLast) || (page.IsLast == nil && n >= page.Total) {
			return nil
		}
	}
}

// reporterOffPerProject reads the per-project createmeta.
func reporterOffPerProject(ctx context.Context, cl Caller, project string) ([]string, error) {
	base := createMetaProjectPath + url.PathEscape(project) + "/issuetypes"
	var types []metaItem
	err := metaPages(ctx, cl, base, func(it metaItem) bool {
		types = append(types, it)
		return len(types) <= maxIssueTypes
	})
	if err != nil {
		return nil, err
	}
	var off []string
	for i, it := range types {
		if i == maxIssueTypes {
			return off, errTruncated
		}
		onScreen := false
		err := metaPages(ctx, cl, base+"/"+url.PathEscape(it.ID), func(f metaItem) bool {
			onScreen = f.FieldID == "reporter" || (f.FieldID == "" && f.ID == "reporter")
			return !onScreen
		})
		if err != nil {
			return off, err
		}
		if !onScreen {
			off = append(off, it.Name)
		}
	}
	return off, nil
}
