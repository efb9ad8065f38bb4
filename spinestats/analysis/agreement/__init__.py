"""Agreement between raters: Cohen's and Fleiss' kappa, ICC."""
