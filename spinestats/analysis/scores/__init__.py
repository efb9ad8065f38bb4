"""Clinical scores: DSS, SINS, WBB staging and CIRT dose flags."""
