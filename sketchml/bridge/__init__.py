"""sketchml.bridge"""
