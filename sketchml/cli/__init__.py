"""The ``sketchml`` command line: one small module per sub-command."""
