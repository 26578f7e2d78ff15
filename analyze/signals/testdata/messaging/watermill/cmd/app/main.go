// Command app wires Watermill's in-memory channel into the router.
package main

import (
	"context"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"example.com/watermill/pub"
	"example.com/watermill/sub"
)

func main() {
	logger := watermill.NewStdLogger(false, false)
	ch := gochannel.NewGoChannel(gochannel.Config{}, logger)
	r, err := message.NewRouter(message.RouterConfig{}, logger)
	if err != nil {
		panic(err)
	}
	sub.Register(r, ch, ch)
	if err := pub.Place(ch, "o-1"); err != nil {
		panic(err)
	}
	_ = r.Run(context.Background())
}
