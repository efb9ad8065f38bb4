tabs <- list(c(17, 3, 8, 31), c(18, 2, 5, 34), c(14, 6, 9, 30), c(15, 5, 6, 33), c(3, 2, 1, 9), c(5, 0, 2, 10))
for (v in tabs) { m <- matrix(v, 2, byrow = TRUE); f <- fisher.test(m)
 cat(sprintf("%.12g", c(f$p.value, f$estimate, f$conf.int)), sep = ", "); cat("\n") }

sessionInfo()
