module github.com/smtpkit/smtpkit/bench/compare

go 1.26

replace github.com/smtpkit/smtpkit => ../..

require (
	github.com/emersion/go-smtp v0.26.0
	github.com/smtpkit/smtpkit v0.0.0-00010101000000-000000000000
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/emersion/go-sasl v0.0.0-20241020182733-b788ff22d5a6 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/net v0.58.0 // indirect
	golang.org/x/text v0.41.0 // indirect
)
