"""The staff pages of the orders app, one module per task."""
