package oauth

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/applink/applink/fault"
)

// Verdict is what comparing the approver of a token with the designated
// service account concludes. It is the one verdict every surface shows: the
// CLI's exit code and token file, the web service's record, API, badges and
// pages all derive from it.
type Verdict string

// The verdicts.
const (
	// VerdictMatch: the approver is the service account.
	VerdictMatch Verdict = "match"
	// VerdictMismatch: Jira's answer holds the field the service account
	// is written in (or no service account was named) and it names someone
	// else, or the approver's immutable id is not the one the link pinned.
	VerdictMismatch Verdict = "mismatch"
	// VerdictUnverifiable: Jira's answer lacks the field the service
	// account is written in (an email address hidden by Cloud's privacy
	// settings, an account id on Server/Data Center, a username or user key
	// on Cloud), or it is the same email on Server/Data Center (not unique
	// there), so nobody can tell from it whether the approver is the service
	// account.
	VerdictUnverifiable Verdict = "unverifiable"
	// VerdictUnknown: Jira did not say who approved (the identity check
	// failed), so the token may act as anyone.
	VerdictUnknown Verdict = "unknown"
)

// Valid reports whether v is one of the verdicts.
func (v Verdict) Valid() bool {
	return slices.Contains([]Verdict{VerdictMatch, VerdictMismatch, VerdictUnverifiable, VerdictUnknown}, v)
}

// Severity says how much a notice matters.
type Severity string

// The severities, least first.
const (
	SeverityInfo    Severity = "info"    // worth knowing; nothing is wrong with the token
	SeverityWarning Severity = "warning" // check something before relying on the token
	SeverityDanger  Severity = "danger"  // the token acts as the wrong account, or does not work
)

// Notice is something people must know about a link or a token, with a
// code programs and templates decide from (never the message).
type Notice struct {
	Code     Code     `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Hint     string   `json:"hint"`
}

// Codes of the notices of an approval (Approval.Notice).
const (
	CodeWrongApprover        Code = "wrong_approver"         // mismatch: another account than the service account approved
	CodeAccountReplaced      Code = "account_replaced"       // mismatch: an account with the service account's name, not its pinned id, approved
	CodeApproverUnverifiable Code = "approver_unverifiable"  // unverifiable: Jira does not show the field the service account is written in
	CodeApproverUnknown      Code = "approver_unknown"       // unknown: Jira did not say who approved
	CodeApproverNotConfirmed Code = "approver_not_confirmed" // an export of a token whose verdict is not VerdictMatch, unacknowledged
)

// Approval is who approved an access token and what that means for the
// integration: the outcome of the identity check, kept with the token.
type Approval struct {
	// Approver is who the token acts as, from /rest/api/2/myself; nil when
	// Jira did not say (VerdictUnknown).
	Approver *Identity `json:"authorized_as"`
	// ServiceAccount is the designated account it was compared with.
	ServiceAccount string `json:"service_account"`
	// ServiceAccountID is the id the link pinned (see Judge), if any.
	ServiceAccountID string `json:"service_account_id,omitempty"`
	// Verdict is what Judge concluded.
	Verdict Verdict `json:"verdict"`
	// IdentityError is why Jira did not say who approved (VerdictUnknown).
	IdentityError *Error `json:"identity_error,omitempty"`
	// ApprovedAt is when the token was issued, by applink's clock.
	ApprovedAt time.Time `json:"approved_at"`
}

// Judge compares approver with serviceAccount (Identity.Compare), but by
// pinned first, the ImmutableID of the link's earlier match, when both it
// and the approver's are known: the same id is VerdictMatch (even renamed),
// another is VerdictMismatch (even under the service account's name). A nil
// approver, or a non-nil identityErr, gives VerdictUnknown, keeping
// identityErr (when it is an *Error) to say why.
func Judge(approver *Identity, serviceAccount, pinned string, identityErr error, at time.Time) Approval {
	a := Approval{Approver: approver, ServiceAccount: strings.TrimSpace(serviceAccount), ServiceAccountID: pinned, ApprovedAt: at}
	if identityErr != nil || approver == nil {
		a.Approver, a.Verdict = nil, VerdictUnknown
		if e, ok := fault.As(identityErr); ok {
			a.IdentityError = &Error{Code: e.Code, Message: e.Message, Hint: e.Hint, Step: e.Step, Status: e.Status}
		}
		return a
	}
	a.Verdict = approver.Compare(serviceAccount)
	if id := approver.ImmutableID(); pinned != "" && id != "" && a.ServiceAccount != "" {
		a.Verdict = VerdictMismatch
		if id == pinned {
			a.Verdict = VerdictMatch
		}
	}
	return a
}

// Notice is what people must know about the approval: nil for
// VerdictMatch; a danger notice for a mismatch (everything the integration
// does will show as the approver's); a warning when applink cannot confirm
// the approver (unverifiable or unknown). A Verdict that is none of the
// four is treated as unknown.
func (a Approval) Notice() *Notice {
	who := a.Approver.String()
	sa := quoteAccount(a.ServiceAccount)
	switch a.Verdict {
	case VerdictMatch:
		return nil
	case VerdictMismatch:
		if a.ServiceAccountID != "" && a.Approver.Compare(a.ServiceAccount) != VerdictMismatch {
			return &Notice{Code: CodeAccountReplaced, Severity: SeverityDanger,
				Message: fmt.Sprintf("This token was approved by %s, named as the service account %s but not the account "+
					"that approved this link before (Jira's id %s): the service account was renamed, or deleted and its name "+
					"given to another account. Everything the integration does will appear as done by %s.",
					who, sa, short(a.ServiceAccountID, 80), who),
				Hint: fmt.Sprintf("Find out who %s is. If it is the service account now, change the link's service account "+
					"(applink then forgets the earlier account) and approve again; if not, revoke this token, logged in "+
					"to Jira as that account: %s.", who, WhereToRevoke)}
		}
		return &Notice{Code: CodeWrongApprover, Severity: SeverityDanger,
			Message: fmt.Sprintf("This token was approved by %s, not by the service account %s. "+
				"Everything the integration does in Jira will appear as done by %s: every issue, comment and change it makes.",
				who, sa, who),
			Hint: fmt.Sprintf("Approve again in a private (incognito) browser window, logged in to Jira as %s (not as yourself), "+
				"then revoke the token approved by %s, logged in to Jira as that account: %s.", sa, who, WhereToRevoke)}
	case VerdictUnverifiable:
		return &Notice{Code: CodeApproverUnverifiable, Severity: SeverityWarning,
			Message: fmt.Sprintf("applink cannot confirm that %s is the service account %s: %s "+
				"This does not mean the wrong account approved.", who, sa, unverifiableReason(a.Approver, a.ServiceAccount)),
			Hint: fmt.Sprintf("Designate the service account by what Jira shows (%s). If %s is not the service account, "+
				"approve again in a private window logged in as %s, and revoke this token: %s.",
				designateBy(a.Approver), who, sa, WhereToRevoke)}
	}
	cause := ""
	if a.IdentityError != nil {
		cause = " (" + strings.TrimSuffix(a.IdentityError.Message, ".") + ")"
	}
	return &Notice{Code: CodeApproverUnknown, Severity: SeverityWarning,
		Message: fmt.Sprintf("Jira issued the token but did not say who approved it%s, so applink does not know "+
			"whether %s did.", cause, sa),
		Hint: fmt.Sprintf("Check before the integration uses the token: approve again once Jira answers, or look at "+
			"the approved tokens in Jira, logged in as %s: %s.", sa, WhereToRevoke)}
}

// quoteAccount names a service account in a notice.
func quoteAccount(sa string) string {
	if strings.TrimSpace(sa) == "" {
		return "the integration's service account (none was named)"
	}
	return fmt.Sprintf("%q", short(sa, 80))
}

// unverifiableReason says why the approver cannot be compared with the
// service account: which field Jira did not show and why, or that emails
// are not unique.
func unverifiableReason(approver *Identity, serviceAccount string) string {
	switch designation(strings.TrimSpace(serviceAccount)) {
	case byEmail:
		if approver != nil && approver.Email != "" {
			return "Jira Server and Data Center let several users share an email address, so an email address does not say which user approved."
		}
		if approver != nil && approver.AccountID != "" {
			return "Jira does not show the approver's email address. Jira Cloud hides email addresses by each user's privacy settings, and it has no usernames: it names people by account id."
		}
		return "Jira does not show the approver's email address. Jira can hide email addresses: Jira Cloud does so by each user's privacy settings."
	case byAccountID:
		return "Jira does not show the approver's account id. Account ids are Jira Cloud's; Jira Server and Data Center do not have them."
	}
	return "Jira does not show the approver's username or user key. Jira Cloud has no usernames or user keys; it names people by account id."
}

// designateBy says what to designate the service account by, from what
// Jira shows of the approver.
func designateBy(approver *Identity) string {
	var use []string
	if approver != nil && approver.AccountID != "" {
		use = append(use, "on Jira Cloud, its account id; the approver's is "+short(approver.AccountID, 80))
	}
	if approver != nil && approver.Name != "" {
		use = append(use, "on Jira Server/Data Center, its username or user key; the approver's username is "+short(approver.Name, 80))
	}
	if len(use) == 0 {
		return "on Jira Cloud its account id, on Jira Server/Data Center its username"
	}
	return strings.Join(use, "; ")
}
