module selkie.test/appstandin

go 1.26
