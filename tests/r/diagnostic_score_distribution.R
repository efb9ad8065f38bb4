# R code behind tests/test_diagnostic_score_accuracy.py; run from the repository root.
# Input: tests/data/roc_direction.csv (80 patients, integer scores) and tests/data/diagnostic_cont.csv
# (150 patients, a continuous score x1, truth 0/1).
library(epiR)
library(pROC)
d <- read.csv("tests/data/roc_direction.csv")
for (cl in c("malignant", "benign")) {
  x <- d$score[d$status == cl]
  cat(cl, length(x), sprintf("%.12g", c(quantile(x, c(0.25, 0.5, 0.75), type = 7), min(x), max(x))), "\n")
}
print(table(d$score, d$status))
c2 <- read.csv("tests/data/diagnostic_cont.csv")
for (cl in c(1, 0)) {
  x <- c2$x1[c2$truth == cl]
  cat(cl, length(x), sprintf("%.12g", c(quantile(x, c(0.25, 0.5, 0.75), type = 7), min(x), max(x))), "\n")
}
# accuracy at a cutoff not among the levels: positive when score >= 7.5, and (lower-is-positive) score <= 8
acc <- function(testpos, dis, conf = 0.95) {
  tab <- as.table(matrix(c(sum(testpos & dis), sum(testpos & !dis), sum(!testpos & dis), sum(!testpos & !dis)),
                         nrow = 2, byrow = TRUE))  # rows: test +/-, columns: disease +/-
  e <- epi.tests(tab, method = "exact", conf.level = conf)$detail
  print(as.vector(tab))
  for (k in c("se", "sp", "pv.pos", "pv.neg", "lr.pos", "lr.neg", "diag.or", "youden"))
    cat(k, sprintf("%.12g", unlist(e[e$statistic == k, c("est", "lower", "upper")])), "\n")
}
m <- d$status == "malignant"
acc(d$score >= 7.5, m)
acc(d$score <= 8, m)
acc(d$score <= 8, m, conf = 0.9)
sessionInfo()
