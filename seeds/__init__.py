"""Reference data files and their loaders; the synthetic demo-data generator."""
