module github.com/applink/applink

go 1.26.8

require (
	github.com/dghubble/oauth1 v0.7.3
	github.com/gorilla/sessions v1.4.0
	github.com/rs/zerolog v1.35.1
)

require (
	github.com/gorilla/securecookie v1.1.2 // indirect
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	github.com/rs/xid v1.6.0 // indirect
	golang.org/x/sys v0.29.0 // indirect
)
