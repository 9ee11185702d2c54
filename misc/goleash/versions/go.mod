module goleash.dev/misc/versions

go 1.26.0

require (
	github.com/go-delve/delve v1.27.2
	github.com/golangci/golangci-lint/v2 v2.13.1
	golang.org/x/mod v0.40.0
	golang.org/x/vuln v1.6.0
)

require (
	github.com/fatih/color v1.19.0 // indirect
	github.com/hashicorp/go-version v1.9.0 // indirect
	github.com/ldez/grignotin v0.10.1 // indirect
	github.com/mattn/go-colorable v0.1.15 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	github.com/sirupsen/logrus v1.10.1 // indirect
	github.com/stretchr/objx v0.5.3 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sync v0.22.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/telemetry v0.0.0-20260811182544-a038080d80e5 // indirect
	golang.org/x/tools v0.49.0 // indirect
)
