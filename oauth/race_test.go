//go:build race

package oauth_test

func init() { raceEnabled = true }
