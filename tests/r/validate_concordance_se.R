# References of tests/test_concordance_se.py: the standard error of Harrell's and Uno's C (survival's
# infinitesimal-jackknife concordance()$var and $dfbeta) and the REML pooling of per-centre Cs (metafor).
# Data: tests/data/validation.csv (60 patients, tied times and risks; written by tests/r/write_data.py) and
# tests/data/melanoma_risk.csv (riskRegression's Melanoma, three pseudo-centres; written by tests/r/validate.R) and
# tests/data/concordance_centres.csv (centres_data() of tests/test_concordance_se.py, via tests/r/write_data.py).
# Run from the repository root: Rscript tests/r/validate_concordance_se.R
suppressMessages({library(survival); library(metafor)})
f <- function(...) cat(sprintf("%.15g", c(...)), "\n")
se <- function(fit) c(fit$concordance, sqrt(fit$var))

v <- read.csv("tests/data/validation.csv")
v$t2 <- ifelse(v$status == 2, 1e6, v$time)          # Wolbers: a competing death never has the event
cat("validation.csv: C and SE\n")
f(se(concordance(Surv(time, status == 1) ~ risk, data = v, reverse = TRUE)))                              # censor
f(se(concordance(Surv(t2, status == 1) ~ risk, data = v, reverse = TRUE)))                                # Wolbers
f(se(concordance(Surv(time, status == 1) ~ risk, data = v, reverse = TRUE, ymax = 12)))                   # truncated
f(se(concordance(Surv(t2, status == 1) ~ risk, data = v, reverse = TRUE, timewt = "n/G2", ymax = 12)))   # Uno
f(se(concordance(Surv(time, status == 1) ~ risk, data = v, reverse = TRUE, timewt = "n/G2", ymax = 12)))
cat("validation.csv: dfbeta (Wolbers Harrell, Uno), rows 1-5 and the sum of squares\n")
for (tw in c("n", "n/G2")) {
  fit <- concordance(Surv(t2, status == 1) ~ risk, data = v, reverse = TRUE, timewt = tw,
                     ymax = if (tw == "n") NULL else 12, influence = 1)
  f(fit$dfbeta[1:5], sum(fit$dfbeta^2))
}

d <- read.csv("tests/data/melanoma_risk.csv")
d$t2 <- ifelse(d$status == 2, 1e6, d$time)
h <- 60
cat("melanoma_risk.csv: Harrell and Uno (tau = 60), C and SE\n")
f(se(concordance(Surv(t2, status == 1) ~ risk, data = d, reverse = TRUE)))
f(se(concordance(Surv(t2, status == 1) ~ risk, data = d, reverse = TRUE, timewt = "n/G2", ymax = h)))
cat("per centre A, B, C: Harrell C, SE, Uno C, SE\n")
pc <- do.call(rbind, lapply(split(d, d$centre), function(g) {
  c(se(concordance(Surv(t2, status == 1) ~ risk, data = g, reverse = TRUE)),
    se(concordance(Surv(t2, status == 1) ~ risk, data = g, reverse = TRUE, timewt = "n/G2", ymax = h))) }))
colnames(pc) <- c("harrell", "harrell_se", "uno", "uno_se")
for (i in seq_len(nrow(pc))) f(pc[i, ])
# pooled on the logit scale (delta-method SE, as metamisc valmeta and Debray et al. 2017)
pool <- function(cc, s, test) {
  m <- rma(yi = qlogis(cc), sei = s / (cc * (1 - cc)), method = "REML", test = test, control = list(threshold = 1e-12))
  p <- predict(m)
  f(plogis(c(m$b, m$ci.lb, m$ci.ub, p$pi.lb, p$pi.ub)), m$b, m$se, m$tau2, m$I2, m$QE, m$QEp, m$zval, m$pval)
}
for (test in c("knha", "z")) {
  cat("pooled Harrell then Uno, test =", test,
      ": estimate, ci, pi (C scale); logit estimate, se, tau2, I2, Q, Q p, statistic, p\n")
  pool(pc[, "harrell"], pc[, "harrell_se"], test)
  pool(pc[, "uno"], pc[, "uno_se"], test)
}

cc <- read.csv("tests/data/concordance_centres.csv")
cc$t2 <- ifelse(cc$status == 2, 1e6, cc$time)
h <- 24
cat("concordance_centres.csv, centres A, B, C, D, H: Harrell C, SE, Uno C (tau = 24), SE\n")
pc <- do.call(rbind, lapply(split(cc, cc$centre)[c("A", "B", "C", "D", "H")], function(g) {
  c(se(concordance(Surv(t2, status == 1) ~ risk, data = g, reverse = TRUE)),
    se(concordance(Surv(t2, status == 1) ~ risk, data = g, reverse = TRUE, timewt = "n/G2", ymax = h))) }))
colnames(pc) <- c("harrell", "harrell_se", "uno", "uno_se")
for (i in seq_len(nrow(pc))) f(pc[i, ])
cat("centre E (no event), F (one patient), G (no comparable pair): C and variance\n")
for (k in c("E", "F", "G")) {   # R stops with an error for the single patient of F
  fit <- try(concordance(Surv(t2, status == 1) ~ risk, data = cc[cc$centre == k, ], reverse = TRUE), silent = TRUE)
  if (inherits(fit, "try-error")) cat(k, ": error:", conditionMessage(attr(fit, "condition")), "\n")
  else f(fit$concordance, fit$var)
}
pc <- pc[1:4, ]   # H (C = 1) has no logit
for (test in c("knha", "z")) {
  cat("pooled A-D, Harrell then Uno, test =", test,
      ": estimate, ci, pi (C scale); logit estimate, se, tau2, I2, Q, Q p, statistic, p\n")
  pool(pc[, "harrell"], pc[, "harrell_se"], test)
  pool(pc[, "uno"], pc[, "uno_se"], test)
}

sessionInfo()
