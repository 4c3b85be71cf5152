pytest_plugins = ["ringbook_devtools.testing.plugin"]
