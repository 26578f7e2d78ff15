module example.com/kitapp

go 1.26

require example.com/otherrouter v0.0.0

require github.com/julienschmidt/httprouter v1.3.0

require (
	github.com/go-kit/kit v0.13.0
	github.com/go-kit/log v0.2.0 // indirect
	github.com/go-logfmt/logfmt v0.5.1 // indirect
)

// otherrouter stands for a router library carve does not read; it is local so that the fixture
// does not depend on which routers carve learns to read later.
replace example.com/otherrouter => ./stubs/otherrouter
