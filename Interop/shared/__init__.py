"""Scenarios written once for the Python clients, by theme: each module has an Adapter (what a
client provides) and `register(AdapterClass)`, which each client's scenarios.py calls at the point
where the scenarios are to run (the harness runs them in registration order)."""
