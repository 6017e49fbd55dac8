check {here}/support/no_such_model.toml
