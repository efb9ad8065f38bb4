# Reference values for tests/test_agreement_stats.py (psych 2.2.9)
suppressMessages(library(psych))
f <- function(x) paste(sprintf("%.12g", x), collapse=" ")
r1 <- c(5, 4, 4, 6, 4, 5, 5, 0, 0, 2, 2, 6, 6, 1, 3, 5, 0, 5, 0, 3, 5, 2, 2, 1, 5)
r2 <- c(6, 4, 4, 6, 4, 5, 6, 1, 0, 2, 1, 6, 6, 0, 3, 4, 0, 5, 0, 4, 5, 2, 2, 1, 5)
r3 <- c(6, 4, 4, 6, 4, 6, 5, 1, 0, 3, 1, 6, 6, 0, 4, 6, 0, 5, 0, 3, 6, 2, 2, 1, 5)
ck <- cohen.kappa(cbind(r1, r2))             # default w: quadratic
cat("unw", f(ck$kappa), f(ck$var.kappa), f(ck$confid[1,]), "\n")
cat("quad", f(ck$weighted.kappa), f(ck$var.weighted), f(ck$confid[2,]), "\n")
L <- 7; W <- 1 - abs(outer(1:L, 1:L, "-"))/(L-1)
ckl <- cohen.kappa(cbind(r1, r2), w=W)
cat("lin", f(ckl$weighted.kappa), f(ckl$var.weighted), f(ckl$confid[2,]), "\n")
# binary feature
b1 <- as.integer(r1 >= 3); b2 <- as.integer(r2 >= 3)
cb <- cohen.kappa(cbind(b1, b2))
cat("bin", f(cb$kappa), f(cb$var.kappa), f(cb$confid[1,]), "\n")
ic <- ICC(cbind(r1, r2, r3), lmer=FALSE)
print(ic$results[, c("type", "ICC", "F", "df1", "df2", "p", "lower bound", "upper bound")], digits=12)
# Fleiss kappa, the irr::kappam.fleiss formula written out (irr is not installed)
fleiss <- function(ratings) {
  ratings <- as.matrix(ratings); ns <- nrow(ratings); nr <- ncol(ratings)
  lev <- levels(as.factor(ratings))
  ttab <- apply(ratings, 1, function(x) table(factor(x, levels=lev)))
  ttab <- t(ttab)
  agreeP <- sum((rowSums(ttab^2) - nr)/(nr*(nr-1)))/ns
  chanceP <- sum(colSums(ttab)^2)/(ns*nr)^2
  value <- (agreeP - chanceP)/(1 - chanceP)
  pj <- colSums(ttab)/(ns*nr); qj <- 1 - pj
  varkappa <- (2/(sum(pj*qj)^2*(ns*nr*(nr-1))))*(sum(pj*qj)^2 - sum(pj*qj*(qj-pj)))
  SEkappa <- sqrt(varkappa); u <- value/SEkappa; p <- 2*(1-pnorm(abs(u)))
  c(value, SEkappa, u, p)
}
cat("fleiss", f(fleiss(cbind(r1, r2, r3))), "\n")
b1 <- as.integer(r1 >= 4); b2 <- as.integer(r2 >= 4)
cb <- cohen.kappa(cbind(b1, b2))
cat("bin4", f(cb$kappa), f(cb$var.kappa), f(cb$confid[1,]), "\n")
# Fleiss-Cohen-Everitt (1969) weighted variance written out (psych's own weighted
# variance uses rowSums(w * rs) where the formula needs colSums(w * rs)):
fce <- function(a, b, W) {
  lab <- sort(unique(c(a, b))); x <- table(factor(a, lab), factor(b, lab)); n <- sum(x); x <- x/n
  rs <- rowSums(x); cs <- colSums(x); po <- sum(W*x); pc <- sum(W*outer(rs, cs))
  wr <- as.vector(W %*% cs); wc <- as.vector(rs %*% W)
  v <- (sum(x*(W*(1-pc) - outer(wr, wc, "+")*(1-po))^2) - (po*pc - 2*pc + po)^2)/(n*(1-pc)^4)
  c((po-pc)/(1-pc), v)
}
Q <- 1 - (outer(1:L, 1:L, "-"))^2/(L-1)^2
cat("fce_quad", f(fce(r1, r2, Q)), "\n")
cat("fce_lin", f(fce(r1, r2, W)), "\n")
cat("fce_unw", f(fce(r1, r2, diag(L))), "\n")

sessionInfo()
