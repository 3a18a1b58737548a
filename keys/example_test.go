package keys_test

import (
	"fmt"
	"log"
	"os"

	"github.com/applink/applink/keys"

	"github.com/applink/applink/fault"
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

func ExampleNewAppLinkConfig() {
	key, err := keys.LoadPrivateKeyFile("../testdata/keys/rsa2048-pkcs1.pem")
	if err != nil {
		log.Fatal(err)
	}
	c, err := keys.NewAppLinkConfig(keys.ConfigInput{
		JiraURL:     "https://jira.example.com/jira/", // normalised
		ConsumerKey: "my-integration",
		PublicKey:   &key.PublicKey,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.ConsumerName)
	fmt.Println(c.RequestTokenURL)
	fmt.Println(c.AuthorizeURL)
	fmt.Println(c.AccessTokenURL)
	// c.WriteText(os.Stdout) prints the whole form for a Jira admin;
	// c.WriteJSON(os.Stdout) prints it for programs.

	// Output:
	// applink: my-integration
	// https://jira.example.com/jira/plugins/servlet/oauth/request-token
	// https://jira.example.com/jira/plugins/servlet/oauth/authorize
	// https://jira.example.com/jira/plugins/servlet/oauth/access-token
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
