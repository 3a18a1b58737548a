package oauth

// UIGuide is how to find the Application Link form in one Jira UI generation.
type UIGuide struct {
	ID    string   `json:"id"`    // "server", "datacenter", "cloud"
	Title string   `json:"title"` // e.g. "Jira Data Center 8.22 and later (9.x, 10.x)"
	Steps []string `json:"steps"`
}

// UISteps returns the steps to reach the incoming-authentication form, by UI
// generation, in the order they should be shown: "server" (older Server/DC),
// "datacenter" (8.22+/9.x), "cloud". Each call returns a fresh copy.
func UISteps() []UIGuide {
	return []UIGuide{
		{
			ID:    "server",
			Title: "Jira Server, and Data Center before 8.22",
			Steps: []string{
				"Open Administration (the cog) > Applications > Application links, logged in as a Jira administrator.",
				"Enter the integration's URL (its callback URL, or any URL of it) and click Create new link.",
				`Jira says "No response was received from the URL you entered": click Continue.`,
				`Enter an Application Name (use the Consumer Name), keep the type "Generic Application", ` +
					`tick "Create incoming link" and click Continue.`,
				"Fill in the Consumer Key, Consumer Name and Public Key of this configuration and click Continue.",
				"Edit the new link (the pencil), open Incoming Authentication, and check every field against this configuration.",
			},
		},
		{
			ID:    "datacenter",
			Title: "Jira Data Center 8.22 and later (9.x, 10.x)",
			Steps: []string{
				"Open Administration (the cog) > Applications > Application links, logged in as a Jira " +
					"administrator, and click Create link.",
				`Choose "Atlassian product", not "External application" (that one is OAuth 2.0 only), ` +
					"enter the integration's URL and click Continue.",
				"Jira warns that it got no response from that URL: click Continue.",
				`In the Generic Application form, enter an Application Name (use the Consumer Name). ` +
					"Its outgoing fields are mandatory but unused by this link: any value will do, " +
					"such as the outgoing values of this configuration.",
				`Tick "Create incoming link" and click Continue.`,
				"Fill in the Consumer Key, Consumer Name and Public Key of this configuration and click Continue.",
				"Edit the new link, open Incoming Authentication, and check every field against this configuration.",
			},
		},
		{
			ID:    "cloud",
			Title: "Jira Cloud",
			Steps: []string{
				"Open Settings (the cog) > Products > Application links, logged in as a Jira site administrator.",
				"Click Create link, enter the integration's URL and click Continue; " +
					`continue past "No response was received from the URL you entered".`,
				`Enter an Application Name (use the Consumer Name), keep the type "Generic Application", ` +
					`tick "Create incoming link" and click Continue.`,
				"Fill in the Consumer Key, Consumer Name and Public Key of this configuration and click Continue.",
				"Edit the new link, open Incoming Authentication, and check every field against this configuration.",
			},
		},
	}
}
