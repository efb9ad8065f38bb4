# Reference values for the pairwise weighted kappa / Light's kappa test in tests/test_agreement_pairs.py (psych)
suppressMessages(library(psych))
f <- function(x) paste(sprintf("%.12g", x), collapse=" ")
r1 <- c(5, 4, 4, 6, 4, 5, 5, 0, 0, 2, 2, 6, 6, 1, 3, 5, 0, 5, 0, 3, 5, 2, 2, 1, 5)
r2 <- c(6, 4, 4, 6, 4, 5, 6, 1, 0, 2, 1, 6, 6, 0, 3, 4, 0, 5, 0, 4, 5, 2, 2, 1, 5)
r3 <- c(6, 4, 4, 6, 4, 6, 5, 1, 0, 3, 1, 6, 6, 0, 4, 6, 0, 5, 0, 3, 6, 2, 2, 1, 5)
x <- cbind(R1 = r1, R2 = r2, R3 = r3)
L <- 7; W <- 1 - abs(outer(1:L, 1:L, "-"))/(L-1)
q <- cohen.kappa(x)           # default w: quadratic
l <- cohen.kappa(x, w = W)      # linear
for (p in c("R1 R2", "R1 R3", "R2 R3")) {
  cat(p, "unweighted", f(q[[p]]$kappa), "linear", f(l[[p]]$weighted.kappa), "quadratic", f(q[[p]]$weighted.kappa), "\n")
}
cat("av.kappa", f(q$av.kappa), "av.wt quadratic", f(q$av.wt), "av.wt linear", f(l$av.wt), "\n")
# Light's kappa by hand: the mean of the pairwise kappas
cat("light by hand", f(mean(sapply(c("R1 R2", "R1 R3", "R2 R3"), function(p) l[[p]]$weighted.kappa))), "\n")
sessionInfo()
