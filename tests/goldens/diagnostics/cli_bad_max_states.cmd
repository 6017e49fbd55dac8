check {here}/support/small.kspec --max-states -5
