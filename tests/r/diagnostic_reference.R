# Reference values for tests/test_diagnostic_*.py (pROC 1.18.0, epiR 2.0.57, R 4.2).
# Run from the repository root: Rscript tests/r/diagnostic_reference.R
suppressMessages({library(pROC); library(epiR)})
p <- function(...) cat(paste(sprintf("%.12g", c(...)), collapse = ", "), "\n")
# --- ordinal score with heavy ties: the DSS cohort, counts per level 0..6
pos <- c(0, 1, 1, 1, 2, 5, 10); neg <- c(22, 6, 5, 1, 3, 2, 0)
score <- c(rep(0:6, pos), rep(0:6, neg)); truth <- c(rep(TRUE, sum(pos)), rep(FALSE, sum(neg)))
r <- roc(truth, score, levels = c(FALSE, TRUE), direction = "<", quiet = TRUE)
cat("DSS auc, delong ci:\n"); p(auc(r), ci.auc(r, method = "delong")[c(1, 3)], var(r, method = "delong"))
cat("DSS thresholds / se / sp:\n"); p(r$thresholds); p(r$sensitivities); p(r$specificities)
cat("DSS youden:\n"); print(coords(r, "best", best.method = "youden", ret = c("threshold", "sensitivity", "specificity")))
cat("DSS closest.topleft:\n"); print(coords(r, "best", best.method = "closest.topleft", ret = c("threshold", "sensitivity", "specificity")))
cat("DSS youden best.weights c(2, 0.2):\n"); print(coords(r, "best", best.method = "youden", best.weights = c(2, 0.2), ret = c("threshold", "sensitivity", "specificity")))
cat("DSS topleft best.weights c(0.5, 0.4):\n"); print(coords(r, "best", best.method = "closest.topleft", best.weights = c(0.5, 0.4), ret = c("threshold", "sensitivity", "specificity")))
cat("epi.tests exact at >= 3 (TP 18, FP 6, FN 2, TN 33):\n")
e <- epi.tests(c(18, 6, 2, 33), method = "exact")$detail
print(e[, 1]); for (i in seq_len(nrow(e))) p(e$est[i], e$lower[i], e$upper[i])
cat("epi.tests wilson:\n")
e <- epi.tests(c(18, 6, 2, 33), method = "wilson")$detail
print(e[, 1]); for (i in seq_len(nrow(e))) p(e$est[i], e$lower[i], e$upper[i])
# --- continuous marker and a rounded second score, same patients
d <- read.csv("tests/data/diagnostic_cont.csv")
r1 <- roc(d$truth, d$x1, levels = c(0, 1), direction = "<", quiet = TRUE)
r2 <- roc(d$truth, d$x2, levels = c(0, 1), direction = "<", quiet = TRUE)
cat("x1 auc, ci, var:\n"); p(auc(r1), ci.auc(r1, method = "delong")[c(1, 3)], var(r1, method = "delong"))
cat("x2 auc, ci, var:\n"); p(auc(r2), ci.auc(r2, method = "delong")[c(1, 3)], var(r2, method = "delong"))
cat("x1 youden:\n"); print(coords(r1, "best", best.method = "youden", ret = c("threshold", "sensitivity", "specificity")), digits = 12)
cat("x1 topleft:\n"); print(coords(r1, "best", best.method = "closest.topleft", ret = c("threshold", "sensitivity", "specificity")), digits = 12)
cat("x2 youden:\n"); print(coords(r2, "best", best.method = "youden", ret = c("threshold", "sensitivity", "specificity")), digits = 12)
t <- roc.test(r1, r2, method = "delong", paired = TRUE)
cat("paired z, p, ci:\n"); p(t$statistic, t$p.value, t$conf.int)
u <- roc.test(r1, r, method = "delong", paired = FALSE)
cat("unpaired x1 vs DSS: D, df, p:\n"); p(u$statistic, u$parameter, u$p.value)
# --- tied Youden optimum: scores 1..4, positives (0,1,1,2), negatives (2,1,1,0)
rt <- roc(c(rep(TRUE, 4), rep(FALSE, 4)), c(2, 3, 4, 4, 1, 1, 2, 3), levels = c(FALSE, TRUE), direction = "<", quiet = TRUE)
cat("tied youden:\n"); print(coords(rt, "best", best.method = "youden", ret = c("threshold", "sensitivity", "specificity")))

sessionInfo()
