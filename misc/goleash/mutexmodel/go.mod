module mutexmodel

go 1.26
