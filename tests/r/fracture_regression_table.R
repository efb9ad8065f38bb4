# Reference values for tests/test_regression_table.py: the bundled synthetic_fracture.csv after
# spinestats.reports.fracture_job.prepare() (tests/data/fracture_cohort.csv, written by tests/r/write_data.py),
# modality relevelled so that conventional RT is the reference (plan: reference: {modality: conventional}).
library(cmprsk); library(survival)
d <- read.csv("tests/data/fracture_cohort.csv"); f <- function(x) cat(sprintf("%.12g", x), "\n")
d$modality <- factor(d$modality, levels=c("conventional","CIRT","SBRT"))
fg <- function(X) { m <- crr(d$time_months, d$event, X, failcode=1, cencode=0); s <- summary(m)
  f(s$conf.int[, 1]); f(s$conf.int[, 3]); f(s$conf.int[, 4])
  f(2 * pnorm(-abs(m$coef / sqrt(diag(m$var))))) }
Xm <- model.matrix(~ modality, d)[, -1, drop=FALSE]; Xsm <- model.matrix(~ sins_total + modality, d)[, -1]
fg(Xm)   # univariable Fine-Gray of modality: sHR, lower, upper, p
fg(Xsm)  # multivariable Fine-Gray sins_total + modality
d$fx <- as.integer(d$event == 1)  # cause-specific: deaths censored
cs <- function(fo) { s <- summary(coxph(fo, d, ties="efron")); f(s$conf.int[, 1]); f(s$conf.int[, 3]);
  f(s$conf.int[, 4]); f(s$coefficients[, 5]) }
cs(Surv(time_months, fx) ~ modality)
cs(Surv(time_months, fx) ~ sins_total + modality)
sessionInfo()
