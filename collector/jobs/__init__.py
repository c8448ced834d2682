"""5 · Whole jobs built from the stages: the scheduled run, the demo and its sample returns."""
