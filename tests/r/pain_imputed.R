# Reference values for tests/test_pain_imputed_analysis.py: Rubin's rules over the completed data sets of the
# pain job's imputations (R 4.2.x, mice).  tests/data/pain_imputed_sets.csv holds the m = 5 completed copies of
# synthetic_cafe.csv that spinestats' imputer draws with seed 3 (the test checks they are the same).
# Run from the repository root: Rscript tests/r/pain_imputed.R
suppressMessages(library(mice))
p <- function(x) cat(paste(sprintf("%.12g", x), collapse = ", "), "\n")
d <- read.csv("tests/data/pain_imputed_sets.csv")
d$arm <- factor(d$arm, levels = c("control", "BKP"))
sets <- split(d, d$imp)
show <- function(fits, row) {
  pl <- pool(as.mira(fits)); s <- summary(pl, conf.int = TRUE, conf.level = 0.90)
  cat("estimate, std.error, df, p.value, 5 %, 95 %, fmi\n")
  p(c(s$estimate[row], s$std.error[row], s$df[row], s$p.value[row], s[row, "5 %"], s[row, "95 %"], pl$pooled$fmi[row]))
}
cat("ANCOVA at 1 month (armBKP)\n")
show(lapply(sets, function(s) lm(nrs_1m ~ nrs_baseline + arm, data = s)), 3)
cat("change from baseline at 3 months, BKP\n")
show(lapply(sets, function(s) lm(I(nrs_3m - nrs_baseline) ~ 1, data = s[s$arm == "BKP", ])), 1)
cat("change from baseline at 12 months, control\n")
show(lapply(sets, function(s) lm(I(nrs_12m - nrs_baseline) ~ 1, data = s[s$arm == "control", ])), 1)
sessionInfo()
