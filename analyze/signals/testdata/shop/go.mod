module example.com/shop

go 1.26

require (
	github.com/aws/aws-sdk-go-v2 v1.0.0
	github.com/aws/aws-sdk-go-v2/service/dynamodb v1.0.0
	github.com/go-chi/chi/v5 v5.0.0
	github.com/gorilla/mux v1.0.0
	github.com/jackc/pgx/v5 v5.0.0
)

replace (
	github.com/aws/aws-sdk-go-v2 => ../stubs/aws
	github.com/aws/aws-sdk-go-v2/service/dynamodb => ../stubs/dynamodb
	github.com/go-chi/chi/v5 => ../stubs/chi
	github.com/gorilla/mux => ../stubs/mux
	github.com/jackc/pgx/v5 => ../stubs/pgx
)
