"""Risk prediction and its validation: concordance, AUC(t), Brier, calibration, decision curves, Firth, risk models."""
