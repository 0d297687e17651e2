// The real Caddy for selkie's lab images, built by tests/images/build.sh: the same program as
// Caddy's own cmd/caddy (the official caddy image), with the standard modules only.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

func main() {
	caddycmd.Main()
}
