check {here}/support/variants.kspec --variant fixd
