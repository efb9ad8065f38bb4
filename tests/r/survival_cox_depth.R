# R code behind the robust score test and cox.zph transform checks in tests/test_survival_cox_depth.py
# (survival 3.x); run from the repository root: Rscript tests/r/survival_cox_depth.R
library(survival)
d <- read.csv("tests/data/cox1.csv")
f <- coxph(Surv(time, status) ~ x1 + x2, data = d, cluster = centre)
cat("cluster rscore", sprintf("%.12g", c(f$rscore, summary(f)$robscore)), "\n")
f <- coxph(Surv(time, status) ~ x1 + x2, data = d, robust = TRUE)
cat("robust rscore", sprintf("%.12g", c(f$rscore, summary(f)$robscore)), "\n")
f <- coxph(Surv(time, status) ~ x1 + x2, data = d, ties = "breslow", cluster = centre)
cat("breslow cluster rscore", sprintf("%.12g", f$rscore), "\n")
f <- coxph(Surv(time, status) ~ x1 + x2 + strata(st), data = d, cluster = centre)
cat("strata cluster rscore", sprintf("%.12g", f$rscore), "\n")
f <- coxph(Surv(time, status) ~ x1, data = d, cluster = centre)
cat("one term rscore", sprintf("%.12g", f$rscore), "\n")
fit <- coxph(Surv(time, status) ~ x1 + x2, data = d)
for (tr in c("km", "rank", "identity", "log")) {
  z <- cox.zph(fit, transform = tr)
  cat("zph", tr, sprintf("%.12g", z$table[, "chisq"]), "\n")
  cat("zph x", tr, sprintf("%.12g", z$x[1:3]), "\n")
}
sessionInfo()
