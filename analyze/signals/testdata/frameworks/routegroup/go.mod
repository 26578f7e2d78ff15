module example.com/rgapp

go 1.26

require github.com/go-pkgz/routegroup v1.6.1
