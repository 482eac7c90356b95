"""The sketch runtime: Sketch class, frame loop, window/headless, modes, hot reload."""
