check {here}/support/small.kspec --const THREADS=3
