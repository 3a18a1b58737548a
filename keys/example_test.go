package keys_test

import (
	"fmt"
	"log"
	"os"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/keys"
)

func ExampleFingerprint() {
	data, err := os.ReadFile("../testdata/keys/rsa2048-public.pem")
	if err != nil {
		log.Fatal(err)
	}
	pub, err := keys.ParsePublicKey(data)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(keys.Fingerprint(pub))
	// Output: SHA256:PNdborPhzfMGyIDufZ/mM/2+OT+ySEXioboxV3VtnCQ
}

func ExampleParsePrivateKey_encrypted() {
	data, err := os.ReadFile("../testdata/keys/rsa2048-encrypted-pkcs8.pem")
	if err != nil {
		log.Fatal(err)
	}
	_, err = keys.ParsePrivateKey(data)
	if e, ok := fault.As(err); ok {
		fmt.Println(e.Code)
		fmt.Println(e.Message)
		fmt.Println(e.Hint)
	}
	// Output:
	// key_encrypted
	// the private key is protected by a passphrase, which applink cannot use
	// remove the passphrase with `openssl pkey -in key.pem -out key-plain.pem` (it asks for the passphrase), keep key-plain.pem private with `chmod 600 key-plain.pem`, and give that file
}
