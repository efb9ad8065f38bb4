# Reference for tests/test_multicenter_bivariate.py: the Reitsma bivariate model as
# metafor rma.mv (bivariate, UN, REML) on stacked logit sensitivity / logit FPR.
suppressMessages(library(metafor))
f <- function(x) paste(sprintf("%.12g", x), collapse=" ")
tp <- c(49, 55, 24, 19, 26, 35, 44, 34, 48, 23); fn <- c(10, 4, 1, 9, 6, 7, 8, 5, 11, 11)
fp <- c(31, 11, 21, 9, 9, 13, 14, 8, 25, 6); tn <- c(83, 76, 76, 49, 78, 91, 96, 101, 92, 44)
k <- length(tp)
y <- c(rbind(log(tp/fn), log(fp/tn)))
v <- c(rbind(1/tp + 1/fn, 1/fp + 1/tn))
d <- data.frame(study=rep(1:k, each=2), outcome=factor(rep(c("sens", "fpr"), k), levels=c("sens", "fpr")), yi=y, vi=v)
r <- rma.mv(yi, vi, mods=~outcome-1, random=~outcome|study, struct="UN", method="REML", data=d,
            control=list(optimizer="optim", optmethod="Nelder-Mead", reltol=1e-15, maxit=100000))
cat("mu", f(coef(r)), "\n")
cat("vcov", f(vcov(r)), "\n")
cat("tau2", f(r$tau2), "rho", f(r$rho), "ll", f(logLik(r)), "\n")

sessionInfo()
