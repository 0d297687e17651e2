// Caddy with the layer-4 app, as in the livekit/caddyl4 image, for selkie's lab images; built by
// tests/images/build.sh.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"
	_ "github.com/mholt/caddy-l4"
)

func main() {
	caddycmd.Main()
}
