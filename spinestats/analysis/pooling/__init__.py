"""Pooling across centres: REML meta-analysis, bivariate (Reitsma) model, pooled AUC, federated summaries."""
