module example.com/otherrouter

go 1.26
