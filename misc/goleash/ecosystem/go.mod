module goleash.dev/misc/ecosystem

go 1.26.0
