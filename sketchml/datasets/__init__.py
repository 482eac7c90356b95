"""sketchml.datasets"""
