# Reference values for tests/test_sample_size_methods.py (epiR 2.0.57, pROC 1.18.0)
suppressMessages({library(epiR); library(pROC)})
f <- function(x) paste(sprintf("%.12g", x), collapse=" ")
cat("buderer", f(epi.ssdxsesp(test=0.90, type="se", Py=0.34, epsilon=0.10, error="absolute", nfractional=TRUE)),
    f(epi.ssdxsesp(test=0.846, type="sp", Py=0.34, epsilon=0.10, error="absolute", nfractional=TRUE)),
    epi.ssdxsesp(test=0.90, type="se", Py=0.34, epsilon=0.10, error="absolute"),
    epi.ssdxsesp(test=0.846, type="sp", Py=0.34, epsilon=0.10, error="absolute"), "\n")
cat("buderer_rel", epi.ssdxsesp(test=0.90, type="se", Py=0.34, epsilon=0.05, error="relative"), "\n")
p <- power.roc.test(auc=0.8, sig.level=0.05, power=0.9, kappa=1.95)
cat("proc_n", f(p$ncases), f(p$ncontrols), "\n")
p <- power.roc.test(auc=0.75, ncases=30, ncontrols=60, sig.level=0.05)
cat("proc_power", f(p$power), "\n")
p <- power.roc.test(auc=0.8, sig.level=0.05, power=0.8, kappa=1, alternative="one.sided")
cat("proc_n1", f(p$ncases), "\n")

sessionInfo()
