check {here}/support/empty_dir
