# Reference values for tests/test_multicenter_meta.py (metafor 3.8-1)
suppressMessages(library(metafor))
f <- function(x) sprintf("%.12g", x)
xi <- c(18, 25, 40, 12, 30, 22); ni <- c(20, 31, 44, 17, 33, 30)
for (tst in c("z", "knha")) {
  r <- rma(xi=xi, ni=ni, measure="PLO", method="REML", add=1/2, to="only0", test=tst,
           control=list(threshold=1e-12, maxiter=1000))
  p <- predict(r, transf=transf.ilogit)
  cat(tst, "b", f(r$b), "se", f(r$se), "ci", f(r$ci.lb), f(r$ci.ub), "tau2", f(r$tau2),
      "I2", f(r$I2), "H2", f(r$H2), "QE", f(r$QE), f(r$QEp), "zval", f(r$zval), "pval", f(r$pval),
      "pi", f(p$pi.lb), f(p$pi.ub), "est", f(p$pred), f(p$ci.lb), f(p$ci.ub), "\n")
}
# zero cell: one centre with all positive
xi <- c(10, 25, 40, 12, 30); ni <- c(10, 31, 44, 17, 33)
r <- rma(xi=xi, ni=ni, measure="PLO", method="REML", add=1/2, to="only0", control=list(threshold=1e-12, maxiter=1000))
es <- escalc(xi=xi, ni=ni, measure="PLO", add=1/2, to="only0")
cat("zero yi", f(es$yi), "vi", f(es$vi), "\n")
p <- predict(r)
cat("zero b", f(r$b), "se", f(r$se), "tau2", f(r$tau2), "I2", f(r$I2), "pi", f(p$pi.lb), f(p$pi.ub), "\n")
# homogeneous: tau2 = 0 boundary
xi <- c(45, 46, 44, 47); ni <- c(50, 50, 50, 50)
r <- rma(xi=xi, ni=ni, measure="PLO", method="REML", control=list(threshold=1e-12))
cat("homog b", f(r$b), "se", f(r$se), "tau2", f(r$tau2), "I2", f(r$I2), "QE", f(r$QE), "\n")

sessionInfo()
