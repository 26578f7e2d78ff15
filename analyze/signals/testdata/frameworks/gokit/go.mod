module example.com/kitapp

go 1.26

require github.com/go-kit/kit v0.13.0

replace github.com/go-kit/kit => ./stubs/kit
