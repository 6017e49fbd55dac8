check {here}/support/small.kspec --max-sates 10
