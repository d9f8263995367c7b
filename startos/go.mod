// This folder holds the StartOS packaging, not Go code. The go.mod only
// keeps it (and the npm packages under startos/node_modules, one of which
// ships Go files) out of the Recap module, so `go build ./...` and
// `go test ./...` stay what they are.
module github.com/recap-startos/recap/startos

go 1.26
