# sensitivity: among positives, rows = test 1 (+, -), cols = test 2 (+, -)
for (v in list(c(10, 6, 1, 3), c(12, 2, 0, 6), c(5, 3, 3, 9), c(7, 0, 0, 4))) {
  m <- matrix(v, 2, byrow = TRUE); a <- mcnemar.test(m); b <- mcnemar.test(m, correct = FALSE)
  e <- if (m[1, 2] + m[2, 1] > 0) binom.test(m[1, 2], m[1, 2] + m[2, 1])$p.value else NA
  cat(sprintf("%.12g", c(a$statistic, a$p.value, b$statistic, b$p.value, e)), sep = ", "); cat("\n") }

sessionInfo()
