check {here}/support/small.kspec --const N=abc
