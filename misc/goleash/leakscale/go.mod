module goleash.dev/misc/leakscale

go 1.26
