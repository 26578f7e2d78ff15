module example.com/goqu

go 1.26.0

require github.com/doug-martin/goqu/v9 v9.19.0
