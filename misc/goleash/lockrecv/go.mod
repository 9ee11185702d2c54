module goleash.dev/misc/lockrecv

go 1.26
