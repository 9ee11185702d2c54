module goleash.dev/misc/delve

go 1.26
