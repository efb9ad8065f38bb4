# Reference for tests/test_multicenter_pooled_auc.py (metafor 3.8-1)
suppressMessages(library(metafor))
f <- function(x) paste(sprintf("%.12g", x), collapse=" ")
auc <- c(0.86, 0.91, 0.78, 0.88, 0.83, 0.93); se <- c(0.04, 0.03, 0.06, 0.05, 0.045, 0.028)
yi <- qlogis(auc); vi <- se^2/(auc*(1-auc))^2
r <- rma(yi, vi, method="REML", test="knha", control=list(threshold=1e-12))
cat("auc", f(plogis(c(r$b, r$ci.lb, r$ci.ub))), f(r$tau2), f(r$se), "\n")
k <- 6; pi <- as.vector(r$b) + c(-1, 1)*qt(0.975, k-2)*sqrt(r$se^2 + r$tau2)
cat("pi_t", f(plogis(pi)), "\n")
O <- c(20, 35, 14, 28); E <- c(24.1, 30.2, 15.5, 33.0); N <- c(100, 150, 80, 120)
r <- rma(log(O/E), (1-O/N)/O, method="REML", test="knha", control=list(threshold=1e-12))
cat("oe", f(exp(c(r$b, r$ci.lb, r$ci.ub))), f(r$tau2), "\n")

sessionInfo()
