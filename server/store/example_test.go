package store_test

import (
	"fmt"
	"os"

	"github.com/applink/applink/server/store"
)

func ExampleCheckName() {
	for _, name := range []string{"prod", "jira-sandbox_2", "../etc", "two words"} {
		fmt.Println(name, store.CheckName(name) == nil)
	}
	// Output:
	// prod true
	// jira-sandbox_2 true
	// ../etc false
	// two words false
}

func ExampleStore_AdminToken() {
	dir, err := os.MkdirTemp("", "applink-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	st, err := store.Open(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	token, created, err := st.AdminToken() // made and saved at first start
	fmt.Println(len(token), created, err)
	again, created, err := st.AdminToken() // read back afterwards
	fmt.Println(again == token, created, err)
	// Output:
	// 43 true <nil>
	// true false <nil>
}
