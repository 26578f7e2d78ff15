// Command backend is the benchmark's upstream: it answers every request with the same 1 KiB
// body, Content-Length set, as fast as net/http allows.
package main

import (
	"bytes"
	"flag"
	"log"
	"net/http"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18080", "listen address")
	flag.Parse()
	body := bytes.Repeat([]byte("a"), 1024)
	srv := &http.Server{
		Addr:              *addr,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", "1024")
			w.Write(body)
		}),
	}
	log.Fatal(srv.ListenAndServe())
}
