//go:build !unix

package oauth_test

import "time"

// cpuTime is not measured here: pair reports no CPU times.
func cpuTime() time.Duration { return 0 }

// peakRSS is not measured here.
func peakRSS() int64 { return 0 }
