# Reference values for tests/test_ratio_summary.py: the ratio-scale summary of a Fine-Gray and a cause-specific
# Cox model at a 90% confidence level, on tests/data/fracture_cohort.csv (written by tests/r/write_data.py;
# modality's reference is CIRT, its first level in schema order).
library(cmprsk); library(survival)
d <- read.csv("tests/data/fracture_cohort.csv"); f <- function(x) cat(sprintf("%.12g", x), "\n")
d$modality <- factor(d$modality, levels=c("CIRT", "SBRT", "conventional"))
X <- model.matrix(~ sins_total + modality, d)[, -1]
m <- crr(d$time_months, d$event, X, failcode=1, cencode=0); s <- summary(m, conf.int=0.90)
f(s$conf.int[, 1]); f(s$conf.int[, 3]); f(s$conf.int[, 4]); f(2 * pnorm(-abs(m$coef / sqrt(diag(m$var)))))  # sHR, lower, upper, p
d$fx <- as.integer(d$event == 1)  # cause-specific: deaths censored
s <- summary(coxph(Surv(time_months, fx) ~ sins_total + modality, d, ties="efron"), conf.int=0.90)
f(s$conf.int[, 1]); f(s$conf.int[, 3]); f(s$conf.int[, 4]); f(s$coefficients[, 5])  # HR, lower, upper, p
sessionInfo()
