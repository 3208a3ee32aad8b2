module github.com/example/billing-gateway

go 1.21

toolchain go1.21.5

require (
	github.com/gin-gonic/gin v1.9.0
	golang.org/x/net v0.17.0
	"gopkg.in/yaml.v3" v3.0.1
)

require (
	github.com/bytedance/sonic v1.9.1 // indirect
	golang.org/x/text v0.13.0 // indirect
	github.com/example/ledger v0.4.0 // indirect
	github.com/golang/protobuf v1.5.2 // indirect
)

require github.com/stretchr/testify v1.8.4

replace github.com/example/ledger => ../ledger

replace github.com/golang/protobuf v1.5.2 => github.com/golang/protobuf v1.5.3

exclude golang.org/x/net v0.7.0

retract v1.0.1 // published by mistake
