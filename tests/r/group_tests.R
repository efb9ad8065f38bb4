# Reference values for tests/test_group_tests.py: Table 1's tests in closed form
# (analysis/descriptive/group_tests.py), Fisher's 2 x 2 p-value, Holm (analysis/core/multiplicity.py)
# and average ranks (analysis/core/distributions.rankdata).  Base R 4.2.
p <- function(x) sprintf("%.17g", x)
# three groups with ties within and across groups (one decimal, as a registry records size in cm)
a <- c(2.8, 3.1, 3.1, 4.0, 2.2, 3.5, 3.1, 2.9, 4.4, 3.0)
b <- c(3.6, 4.1, 3.1, 5.2, 4.0, 4.4, 3.9, 4.0, 5.0, 3.6, 4.8, 4.0)
c3 <- c(2.0, 2.8, 3.1, 2.5, 2.2, 2.8, 3.6, 2.0)
y <- c(a, b, c3); g <- factor(rep(c("a", "b", "c"), c(length(a), length(b), length(c3))))
tt <- t.test(a, b, var.equal = TRUE)
cat("t.test(a, b, var.equal = TRUE):", p(tt$statistic), p(tt$parameter), p(tt$p.value), "\n")
tt <- t.test(b, c3, var.equal = TRUE)
cat("t.test(b, c3, var.equal = TRUE):", p(tt$statistic), p(tt$parameter), p(tt$p.value), "\n")
ow <- oneway.test(y ~ g, var.equal = TRUE)
cat("oneway.test(y ~ g, var.equal = TRUE):", p(ow$statistic), p(ow$parameter), p(ow$p.value), "\n")
av <- anova(aov(y ~ g))
cat("anova(aov(y ~ g)):", p(av$`F value`[1]), p(av$`Pr(>F)`[1]), "\n")
kt <- kruskal.test(y ~ g)
cat("kruskal.test(y ~ g):", p(kt$statistic), p(kt$parameter), p(kt$p.value), "\n")
kt <- kruskal.test(list(a, b))
cat("kruskal.test(list(a, b)):", p(kt$statistic), p(kt$p.value), "\n")
cat("kruskal.test(list(c(1, 1, 2), c(2, 2, 2, 3))):", p(kruskal.test(list(c(1, 1, 2), c(2, 2, 2, 3)))$statistic),
    p(kruskal.test(list(c(1, 1, 2), c(2, 2, 2, 3)))$p.value), "\n")
# chi-squared tests
t22 <- matrix(c(12, 5, 7, 15), 2, byrow = TRUE)
ct <- chisq.test(t22); cat("chisq.test(t22):", p(ct$statistic), p(ct$p.value), "\n")
ct <- chisq.test(t22, correct = FALSE); cat("chisq.test(t22, correct = FALSE):", p(ct$statistic), p(ct$p.value), "\n")
near <- matrix(c(10, 10, 10, 11), 2, byrow = TRUE)  # |O - E| < 0.5: the correction stops at |O - E|
ct <- suppressWarnings(chisq.test(near)); cat("chisq.test(near):", p(ct$statistic), p(ct$p.value), "\n")
t23 <- matrix(c(8, 3, 9, 2, 7, 6), 2, byrow = TRUE)
ct <- suppressWarnings(chisq.test(t23)); cat("chisq.test(t23):", p(ct$statistic), p(ct$parameter), p(ct$p.value), "\n")
cat("expected(t23):", p(ct$expected), "\n")
t33 <- matrix(c(20, 14, 9, 11, 18, 16, 6, 9, 21), 3, byrow = TRUE)
ct <- chisq.test(t33); cat("chisq.test(t33):", p(ct$statistic), p(ct$parameter), p(ct$p.value), "\n")
# Fisher's exact test, 2 x 2
for (m in list(c(3, 1, 1, 3), c(12, 5, 7, 15), c(0, 9, 6, 4), c(41, 59, 18, 82), c(5, 0, 0, 5))) {
  cat("fisher.test(matrix(c(", paste(m, collapse = ", "), "), 2, byrow = TRUE)):",
      p(fisher.test(matrix(m, 2, byrow = TRUE))$p.value), "\n")
}
# Holm: ties, NA, the cap at 1, monotonicity
cat("p.adjust(c(0.02, 0.02, 0.01, NA, 0.5, 0.04, 0.02), 'holm'):",
    p(p.adjust(c(0.02, 0.02, 0.01, NA, 0.5, 0.04, 0.02), "holm")), "\n")
cat("p.adjust(c(0.3, 0.9, 1, 0.25), 'holm'):", p(p.adjust(c(0.3, 0.9, 1, 0.25), "holm")), "\n")
cat("p.adjust(c(0.001, 0.2, 0.0105, 0.011), 'holm'):", p(p.adjust(c(0.001, 0.2, 0.0105, 0.011), "holm")), "\n")
cat("p.adjust(0.03, 'holm'):", p(p.adjust(0.03, "holm")), "\n")
# average ranks
cat("rank(c(3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5)):", rank(c(3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5)), "\n")
sessionInfo()
