module github.com/recap-startos/recap

go 1.26.8
