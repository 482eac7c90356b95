"""sketchml.media"""
