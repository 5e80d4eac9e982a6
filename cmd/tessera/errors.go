package main

import "github.com/tessera-app/tessera/engine/errs"

func isConflict(err error) bool { return errs.Is(err, errs.Conflict) }
