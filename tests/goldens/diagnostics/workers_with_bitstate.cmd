check {here}/support/small.kspec --workers 2 --store bitstate
