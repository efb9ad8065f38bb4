"""Time to event: Kaplan–Meier, log-rank, Cox, cox.zph, endpoints and survival tables."""
