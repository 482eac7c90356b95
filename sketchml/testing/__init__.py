"""sketchml.testing"""
