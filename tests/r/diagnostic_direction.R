# R code behind tests/test_diagnostic_direction.py (pROC); run from the repository root
library(pROC)
d <- read.csv("tests/data/roc_direction.csv")
for (dir in c("<", ">", "auto")) {
  r <- roc(d$status, d$score, levels = c("benign", "malignant"), direction = dir, quiet = TRUE)
  ci <- ci.auc(r, method = "delong")
  cat(dir, r$direction, sprintf("%.12g", c(r$auc, ci[1], ci[3], sqrt(var(r)))), "\n")
}
r <- roc(d$status, d$score, levels = c("benign", "malignant"), direction = ">", quiet = TRUE)
b <- coords(r, "best", best.method = "youden", ret = c("threshold", "sensitivity", "specificity"))
print(b)
cat(sprintf("%.12g", unlist(coords(r, 8.5, input = "threshold", ret = c("sensitivity", "specificity")))), "\n")
sessionInfo()
