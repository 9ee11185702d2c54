module example.com/abortdemo

go 1.26.0
