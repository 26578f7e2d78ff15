module example.com/kitapp

go 1.26

require (
	example.com/otherrouter v0.0.0
	github.com/go-kit/kit v0.13.0
)

replace (
	example.com/otherrouter => ./stubs/otherrouter
	github.com/go-kit/kit => ./stubs/kit
)
