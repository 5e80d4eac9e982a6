//go:build !unix

package main

import "time"

// processCPU is not measured here: the CPU rows of the bench read 0.
func processCPU() time.Duration { return 0 }
