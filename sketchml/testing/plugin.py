"""pytest plugin for plugin authors (filled in by the plugin-kit work)."""
