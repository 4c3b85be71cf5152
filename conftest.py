pytest_plugins = ["ringbook.testing.plugin"]
