"""sketchml.graphics"""
