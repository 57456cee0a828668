package main

import (
	"context"
	"errors"
	"flag"
)

// serveCommand is being built in this session (issue 7).
var serveCommand = &command{
	name:    "serve",
	summary: "(in progress)",
	setup: func(fs *flag.FlagSet, sio *stdio) func(context.Context, []string) int {
		return func(context.Context, []string) int {
			return fail(sio, "serve", errors.New("not built yet"), exitOffline)
		}
	},
}
