"""Competing risks: Aalen–Johansen cumulative incidence, Gray's test, Fine–Gray."""
