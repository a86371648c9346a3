"""Models: the locally built tiny model and the inference backends behind one interface."""
