xs <- c(0, 1, 18, 33, 5, 20, 7); ns <- c(10, 10, 20, 39, 5, 20, 13)
for (i in seq_along(xs)) {
 b <- binom.test(xs[i], ns[i])$conf.int; w <- prop.test(xs[i], ns[i], correct=FALSE)$conf.int
 cat(sprintf("(%d, %d, %.12g, %.12g, %.12g, %.12g),\n", xs[i], ns[i], b[1], b[2], w[1], w[2]))
}
b <- binom.test(18, 20, conf.level=0.9)$conf.int; w <- prop.test(18,20,conf.level=0.9,correct=FALSE)$conf.int
cat(sprintf("90: %.12g %.12g %.12g %.12g\n", b[1], b[2], w[1], w[2]))

sessionInfo()
