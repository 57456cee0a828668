package main

import (
	"context"
	"errors"
	"flag"
)

// loadCommand is being built in this session (issue 7).
var loadCommand = &command{
	name:    "load",
	summary: "(in progress)",
	setup: func(fs *flag.FlagSet, sio *stdio) func(context.Context, []string) int {
		return func(context.Context, []string) int {
			return fail(sio, "load", errors.New("not built yet"), exitOffline)
		}
	},
}
