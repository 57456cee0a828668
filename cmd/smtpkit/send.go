package main

import (
	"context"
	"errors"
	"flag"
)

// sendCommand is being built in this session (issue 7).
var sendCommand = &command{
	name:    "send",
	summary: "(in progress)",
	setup: func(fs *flag.FlagSet, sio *stdio) func(context.Context, []string) int {
		return func(context.Context, []string) int {
			return fail(sio, "send", errors.New("not built yet"), exitOffline)
		}
	},
}
