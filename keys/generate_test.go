package keys

import (
	"strings"
	"testing"
)

func TestGenerate2048(t *testing.T) {
	key, err := Generate(DefaultBits)
	if err != nil {
		t.Fatal(err)
	}
	if got := key.N.BitLen(); got != 2048 {
		t.Fatalf("got %d bits, want 2048", got)
	}
	if err := key.Validate(); err != nil {
		t.Fatal(err)
	}
	pemData, err := MarshalPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePrivateKey(pemData)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equal(key) {
		t.Fatal("round trip changed the key")
	}
}

func TestGenerateLargerSizes(t *testing.T) {
	if testing.Short() {
		t.Skip("3072- and 4096-bit keys take seconds to make")
	}
	for _, bits := range []int{3072, 4096} {
		key, err := Generate(bits)
		if err != nil {
			t.Fatalf("Generate(%d): %v", bits, err)
		}
		if got := key.N.BitLen(); got != bits {
			t.Fatalf("Generate(%d) made %d bits", bits, got)
		}
	}
}

func TestGenerateRefusesOtherSizes(t *testing.T) {
	for _, tt := range []struct {
		bits   int
		msgHas string
	}{
		{1024, "too weak"},
		{2047, "too weak"},
		{512, "too weak"},
		{2049, "not a supported"},
		{3000, "not a supported"},
		{8192, "not supported"},
		{0, "not a supported"},
		{-2048, "not a supported"},
	} {
		key, err := Generate(tt.bits)
		if key != nil {
			t.Errorf("Generate(%d) made a key", tt.bits)
		}
		e := wantCode(t, err, CodeBadBits)
		if !strings.Contains(e.Message, tt.msgHas) {
			t.Errorf("Generate(%d): message %q does not hold %q", tt.bits, e.Message, tt.msgHas)
		}
		for _, size := range []string{"2048", "3072", "4096"} {
			if !strings.Contains(e.Hint, size) {
				t.Errorf("Generate(%d): hint %q does not name %s", tt.bits, e.Hint, size)
			}
		}
	}
}
