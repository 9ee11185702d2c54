module goleash.dev/misc/overload

go 1.26
