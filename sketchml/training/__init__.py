"""sketchml.training"""
