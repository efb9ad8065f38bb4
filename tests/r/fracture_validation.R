# Reference values for tests/test_fracture_validation.py (R 4.2, survival 3.x,
# riskRegression 2022.11.28, prodlim, cmprsk).  cc.csv is written by
# the `_validation_data()` generator of that test (numpy default_rng(20261127)).
library(survival); library(riskRegression); library(prodlim); library(cmprsk)
d <- read.csv("tests/data/validation.csv")
f <- function(x) cat(sprintf("%.12g", x), "\n")
f(concordance(Surv(time, status==1) ~ risk, data=d, reverse=TRUE)$concordance)       # cause-specific Harrell
d$t2 <- ifelse(d$status==2, 1e6, d$time)                                               # Wolbers: death -> never fractures
f(concordance(Surv(t2, status==1) ~ risk, data=d, reverse=TRUE)$concordance)
f(concordance(Surv(t2, status==1) ~ risk, data=d, reverse=TRUE, timewt="n/G2", ymax=12)$concordance)
f(concordance(Surv(time, status==1) ~ risk, data=d, reverse=TRUE, timewt="n/G2", ymax=12)$concordance)
f(concordance(Surv(time, status==1) ~ risk, data=d, reverse=TRUE, ymax=12)$concordance)
s <- Score(list(m=d$risk), Hist(time, status) ~ 1, data=d, times=12, cause=1, metrics=c("auc","brier"), cens.model="km", null.model=TRUE)
f(s$AUC$score$AUC); f(s$Brier$score$Brier)
s2 <- Score(list(m=d$risk), Hist(time, status) ~ 1, data=d, times=c(6,18), cause=1, metrics=c("auc","brier"), cens.model="km",null.model=FALSE)
f(s2$AUC$score$AUC); f(s2$Brier$score$Brier)

sessionInfo()
