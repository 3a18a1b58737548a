package oauth

import "testing"

func TestLooksLikeAccountID(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"5b10ac8d82e05b22cc7d4ef5", true}, // 24 hex digits
		{"5B10AC8D82E05B22CC7D4EF5", true},
		{"5b10ac8d82e05b22cc7d4ef5a1b2", true}, // more than 24
		{"5b10ac8d82e05b22cc7d4ef", false},     // 23
		{"5b10ac8d82e05b22cc7d4efg", false},    // not hex
		{"557058:f0e1d2c3-b4a5-4697-8899-aabbccddeeff", true},
		{"712020:F0E1D2C3-B4A5-4697-8899-AABBCCDDEEFF", true},
		{"557058:f0e1d2c3", false},                              // not a UUID
		{":f0e1d2c3-b4a5-4697-8899-aabbccddeeff", false},        // no digits
		{"qm:f0e1d2c3-b4a5-4697-8899-aabbccddeeff", false},      // letters before the colon
		{"557058:f0e1d2c3-b4a5-4697-8899-aabbccddeef", false},   // last group short
		{"557058:f0e1d2c3-b4a5-4697-8899-aabbccddeeffx", false}, // last group long
		{"557058:f0e1d2c3-b4a5-4697-8899", false},
		{"557058:f0e1d2c3-b4a5-4697-8899-aabbccddeeff-00", false},
		{"557058:g0e1d2c3-b4a5-4697-8899-aabbccddeeff", false},
		{"svc-jira", false},
		{"JIRAUSER10100", false},
		{"svc-jira@example.com", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := looksLikeAccountID(tt.s); got != tt.want {
			t.Errorf("looksLikeAccountID(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}
