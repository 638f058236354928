// A tiny Go program for the scanner's tests: its build information names this module, the
// Go toolchain that built it and one dependency with a version (see build.sh).
package main

import (
	"os"

	"example.com/greeting"
)

func main() {
	os.Stdout.WriteString(greeting.Hello() + "\n")
}
