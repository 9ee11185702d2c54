module goleash.dev/misc/leakrecover

go 1.26
