# Reference values for tests/test_core_newton.py (R 4.2, stats::glm).
# The data are generated in the test by seeded numpy; written out here literally.
x <- c(-1.2, -0.7, -0.3, 0.0, 0.2, 0.5, 0.9, 1.4, 1.8, 2.3, -0.9, 0.4)
o <- c(0.1, -0.2, 0.0, 0.3, -0.1, 0.2, 0.0, -0.3, 0.1, 0.0, 0.2, -0.1)
w <- c(1, 2, 1, 0.5, 1.5, 1, 1, 2, 1, 0.5, 1, 1)
y <- c(0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 1)
# R stops at a relative deviance change of 1e-8 by default; converge fully so that vcov is at the MLE
f <- suppressWarnings(glm(y ~ x + offset(o), family = binomial, weights = w,
                         control = glm.control(epsilon = 1e-14, maxit = 100)))
print(coef(f), digits = 15)
print(vcov(f), digits = 15)
print(sum(w * dbinom(y, 1, fitted(f), log = TRUE)), digits = 15)  # weighted log-likelihood
# constant predictor: R aliases it (NA); separation: R warns "fitted probabilities numerically 0 or 1"
print(coef(glm(y ~ rep(2, 12), family = binomial)))
print(suppressWarnings(coef(glm(as.numeric(x > 0.3) ~ x, family = binomial))))

sessionInfo()
