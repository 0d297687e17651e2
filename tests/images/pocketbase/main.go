// PocketBase with its standard commands (serve, migrate, superuser), as the documented
// production image runs it: /pb/pocketbase serve --http ADDR. Built by tests/images/build.sh.
package main

import (
	"log"

	"github.com/pocketbase/pocketbase"
)

func main() {
	app := pocketbase.New()
	if err := app.Start(); err != nil {
		log.Fatal(err)
	}
}
