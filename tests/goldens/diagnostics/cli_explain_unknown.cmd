explain KS1234
